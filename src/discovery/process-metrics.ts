// Process and event-loop metrics for /metrics, named as Prometheus client libraries name them
// (process_*, nodejs_*), so that existing dashboards read them. The event-loop delay histogram is
// sampled by Node itself (perf_hooks) every LOOP_SAMPLE_MS (each sample wakes the idle process,
// so not more often than needed for a scrape's view of stalls); each scrape reads and resets it, so the figures
// cover the time since the previous scrape.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const LOOP_SAMPLE_MS = 100;

export class ProcessMetrics {
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  private readonly startedAtSeconds = Math.floor(Date.now() / 1000 - process.uptime());

  constructor() {
    this.loopDelay.enable();
  }

  close(): void {
    this.loopDelay.disable();
  }

  /** Prometheus text lines (HELP, TYPE, sample) for the process right now. */
  render(): string[] {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const d = this.loopDelay;
    // The histogram counts the timer's own resolution as delay; report the lag beyond it.
    const lag = (ns: number): number => (d.count === 0 ? 0 : Math.max(0, ns / 1e9 - LOOP_SAMPLE_MS / 1000));
    const lines = [
      ...gauge(
        'process_cpu_user_seconds_total',
        'counter',
        'User CPU time spent, in seconds.',
        cpu.user / 1e6,
      ),
      ...gauge(
        'process_cpu_system_seconds_total',
        'counter',
        'System CPU time spent, in seconds.',
        cpu.system / 1e6,
      ),
      ...gauge(
        'process_cpu_seconds_total',
        'counter',
        'User and system CPU time spent, in seconds.',
        (cpu.user + cpu.system) / 1e6,
      ),
      ...gauge('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss),
      ...gauge('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.', mem.heapUsed),
      ...gauge(
        'process_start_time_seconds',
        'gauge',
        'Start time of the process since the Unix epoch, in seconds.',
        this.startedAtSeconds,
      ),
      ...gauge(
        'nodejs_eventloop_lag_mean_seconds',
        'gauge',
        'Mean event-loop delay since the last scrape, in seconds.',
        lag(d.mean),
      ),
      ...gauge(
        'nodejs_eventloop_lag_p99_seconds',
        'gauge',
        '99th percentile of the event-loop delay since the last scrape, in seconds.',
        lag(d.percentile(99)),
      ),
      ...gauge(
        'nodejs_eventloop_lag_max_seconds',
        'gauge',
        'Longest event-loop delay since the last scrape, in seconds.',
        lag(d.max),
      ),
    ];
    d.reset();
    return lines;
  }
}

function gauge(name: string, type: 'gauge' | 'counter', help: string, value: number): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    `${name} ${Number.isFinite(value) ? value : 0}`,
  ];
}
