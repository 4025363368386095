// Sentinel's event channels and message formats (docs/design.md 5.1; sentinel.c sentinelEvent), for
// the code that publishes through SentinelRespServer.publish. The names are constants so that
// a typo is a compile error, and the formats are Sentinel's so that scripts parsing them work:
// `%@` is `<type> <name> <ip> <port>`, plus ` @ <master> <ip> <port>` for non-masters.

export const SENTINEL_EVENTS = [
  '+sdown',
  '-sdown',
  '+odown',
  '-odown',
  '+new-epoch',
  '+try-failover',
  '+elected-leader',
  '+selected-slave',
  '-failover-abort-no-good-slave',
  '+promoted-slave',
  '+slave-reconf-sent',
  '+slave-reconf-done',
  '+failover-end',
  '+switch-master',
  '+slave',
  '+sentinel',
  '+convert-to-slave',
  '+tilt',
  '-tilt',
] as const;

export type SentinelEvent = (typeof SENTINEL_EVENTS)[number];

// The message formatters live with the publisher's (one formatter for every Sentinel event).
export * from '../sentinel-events.js';
