import type { NextFunction, Request, Response } from 'express';
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

  private readonly stopDatabaseMetrics: () => void;

  constructor(databaseType: 'sqlite' | 'mysql') {
    collectDefaultMetrics({ register: this.registry });
    this.stopDatabaseMetrics =
      databaseType === 'mysql' ? observeMysqlDriver(this.registry) : () => undefined;
  }

  /** Stops observing the database driver (its tracing channels are process-wide). */
  stop(): void {
    this.stopDatabaseMetrics();
  }

  /** Times every request; the label is the matched route template, never the raw URL. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const stop = this.httpDuration.startTimer();
    res.once('finish', () => {
      stop({ route: routeTemplate(req), method: req.method, status: String(res.statusCode) });
    });
    next();
  };
}

function routeTemplate(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  if (req.originalUrl.startsWith('/static/')) return '/static/*';
  return 'unmatched';
}
