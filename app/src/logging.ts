import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/config';

/**
 * One JSON object per line on stdout, the same format as the operator's logs
 * (operator/src/runtime/logger.ts): `level` as a name (`info`, not pino's 30), `time` in
 * ISO 8601 UTC, `msg`, then fields; an error under `err` as its name, message, stack and
 * cause. Request bodies, cookies and tokens are never logged.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'notejam' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: renderError },
    },
    destination,
  );
}

/** Errors do not survive JSON.stringify (their fields are not enumerable): flatten them. */
export function renderError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const rendered: Record<string, unknown> = { name: value.name, message: value.message };
  if (value.stack) rendered.stack = value.stack;
  if (value.cause !== undefined) rendered.cause = renderError(value.cause);
  return rendered;
}

/** Hides the secret part of URLs that carry one (password reset links). */
export function redactUrl(url: string): string {
  return url.replace(/^\/reset-password\/[^/?]+/, '/reset-password/[redacted]');
}

/** Nest's own messages (start-up, errors) through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
