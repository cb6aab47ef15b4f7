import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { observeMysqlDriver } from './database-metrics';

/** The app's Prometheus registry: process defaults, HTTP timings and business counters. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly signUps = new Counter({
    name: 'notejam_signups_total',
    help: 'Accounts created',
    registers: [this.registry],
  });

  readonly notesCreated = new Counter({
    name: 'notejam_notes_created_total',
    help: 'Notes created',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'notejam_rate_limited_total',
    help: 'Attempts held back by a rate limit, by action (sign-in, sign-up, reset, old-password) and outcome (refused, slowed, silenced)',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly stopDatabaseMetrics: () => void;

  /** `none`: a process that never opens the database (the maintenance server). */
  constructor(databaseType: 'sqlite' | 'mysql' | 'none') {
    collectDefaultMetrics({ register: this.registry });
    this.stopDatabaseMetrics =
      databaseType === 'mysql' ? observeMysqlDriver(this.registry) : () => undefined;
  }

  /** Stops observing the database driver (its tracing channels are process-wide). */
  stop(): void {
    this.stopDatabaseMetrics();
  }

  /** One answered request; `route` is the matched route template, never the raw URL. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.httpDuration.observe({ route, method, status: String(status) }, seconds);
  }
}
