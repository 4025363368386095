// Who listens to which channel or pattern, and delivery of published events. Channel
// subscribers receive a message before pattern subscribers, in subscription order, as in Redis.
// raftinel publishes a few dozen event names, so each pattern is matched against a name once
// and the answer kept: a publish costs a lookup per pattern, whatever the clients subscribed.
import { compileGlob } from './glob.js';
import { bulk, push, type Reply } from './reply.js';
import { channelBytes, type Session } from './session.js';

export interface Subscriber {
  readonly session: Session;
  /** Queues a push frame on the subscriber's connection. */
  deliver(reply: Reply): void;
}

export class PubSubHub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly patterns = new Map<string, Set<Subscriber>>();
  private readonly matchers = new Map<string, PatternMatcher>();

  /** Returns false when the subscriber was already subscribed to it. */
  subscribe(sub: Subscriber, channel: string): boolean {
    return add(this.channels, channel, sub, sub.session.channels);
  }

  psubscribe(sub: Subscriber, pattern: string): boolean {
    if (!this.matchers.has(pattern)) this.matchers.set(pattern, new PatternMatcher(pattern));
    return add(this.patterns, pattern, sub, sub.session.patterns);
  }

  unsubscribe(sub: Subscriber, channel: string): boolean {
    return remove(this.channels, channel, sub, sub.session.channels);
  }

  punsubscribe(sub: Subscriber, pattern: string): boolean {
    const removed = remove(this.patterns, pattern, sub, sub.session.patterns);
    if (!this.patterns.has(pattern)) this.matchers.delete(pattern);
    return removed;
  }

  /** Drops every subscription of a closing connection. */
  forget(sub: Subscriber): void {
    for (const channel of [...sub.session.channels]) this.unsubscribe(sub, channel);
    for (const pattern of [...sub.session.patterns]) this.punsubscribe(sub, pattern);
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get patternCount(): number {
    return this.patterns.size;
  }

  /** Delivers to every matching subscriber; returns how many received it (as PUBLISH does). */
  publish(channel: string, message: string): number {
    const key = Buffer.from(channel, 'utf8').toString('latin1');
    const channelName = channelBytes(key);
    const payload = Buffer.from(message, 'utf8');
    let receivers = 0;
    for (const sub of this.channels.get(key) ?? []) {
      sub.deliver(push([bulk('message'), bulk(channelName), bulk(payload)]));
      receivers++;
    }
    for (const [pattern, subs] of this.patterns) {
      if (!this.matchers.get(pattern)?.matches(key)) continue;
      for (const sub of subs) {
        sub.deliver(push([bulk('pmessage'), bulk(channelBytes(pattern)), bulk(channelName), bulk(payload)]));
        receivers++;
      }
    }
    return receivers;
  }
}

function add(index: Map<string, Set<Subscriber>>, name: string, sub: Subscriber, own: Set<string>): boolean {
  if (own.has(name)) return false;
  own.add(name);
  let subs = index.get(name);
  if (!subs) index.set(name, (subs = new Set()));
  subs.add(sub);
  return true;
}

function remove(
  index: Map<string, Set<Subscriber>>,
  name: string,
  sub: Subscriber,
  own: Set<string>,
): boolean {
  if (!own.delete(name)) return false;
  const subs = index.get(name);
  subs?.delete(sub);
  if (subs && subs.size === 0) index.delete(name);
  return true;
}

/** One pattern, parsed once, with its answer for each channel name it was asked about. */
class PatternMatcher {
  private readonly match: (text: string) => boolean;
  private readonly answers = new Map<string, boolean>();

  constructor(pattern: string) {
    this.match = compileGlob(pattern);
  }

  matches(channel: string): boolean {
    let answer = this.answers.get(channel);
    if (answer === undefined) {
      answer = this.match(channel);
      // The names published are a fixed set; the bound only guards against a caller that is not.
      if (this.answers.size < MAX_REMEMBERED_CHANNELS) this.answers.set(channel, answer);
    }
    return answer;
  }
}

const MAX_REMEMBERED_CHANNELS = 256;
