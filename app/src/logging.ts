import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/config';

/** One JSON logger for the process. Request bodies, cookies and tokens are never logged. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'notejam' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
      remove: true,
    },
  });
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
