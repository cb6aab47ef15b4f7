import { tracingChannel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Query and connection-acquisition timings of the mysql2 driver, from the tracing channels
 * it publishes (`mysql2:query`, `mysql2:execute`, `mysql2:pool:connect`). SQLite runs
 * in-process and synchronously, so there is nothing comparable to observe there.
 * Returns a function that stops observing.
 */
export function observeMysqlDriver(registry: Registry): () => void {
  const queries = new Histogram({
    name: 'notejam_db_query_duration_seconds',
    help: 'Database query duration in seconds (MySQL), by outcome',
    labelNames: ['outcome'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const acquire = new Histogram({
    name: 'notejam_db_pool_acquire_duration_seconds',
    help: 'Time to get a connection from the MySQL pool in seconds, by outcome',
    labelNames: ['outcome'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  // Both outcomes exist from the start, at zero: a dashboard shows "0 errors" for a healthy
  // pod instead of no data (an error series would otherwise appear only with the first error).
  for (const histogram of [queries, acquire]) {
    for (const outcome of ['ok', 'error']) histogram.zero({ outcome });
  }
  const stops = [
    timeChannel('mysql2:query', queries),
    timeChannel('mysql2:execute', queries),
    timeChannel('mysql2:pool:connect', acquire),
  ];
  return () => stops.forEach((stop) => stop());
}

function timeChannel(name: string, histogram: Histogram<'outcome'>): () => void {
  const channel = tracingChannel<object, object>(name);
  const started = new WeakMap<object, number>();
  const handlers = {
    start: (context: object) => void started.set(context, performance.now()),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (context: object) => {
      const start = started.get(context);
      if (start === undefined) return;
      const outcome = (context as { error?: unknown }).error === undefined ? 'ok' : 'error';
      histogram.observe({ outcome }, (performance.now() - start) / 1000);
    },
    error: () => undefined,
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}
