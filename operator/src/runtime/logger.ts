/**
 * A small structured logger: one JSON object per line on stdout, the shape log pipelines
 * (Loki, Cloud Logging, ...) parse without configuration. Deliberately tiny: the operator
 * needs levels, bound context and errors rendered with their cause, nothing more.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(severity, value);
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stdout. */
  write?: (line: string) => void;
  /** Clock for the `time` field; injectable for tests. */
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const threshold = severity[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = options.now ?? (() => new Date());

  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (severity[level] < threshold) return;
    const entry: LogFields = { level, time: now().toISOString(), msg, ...bound };
    for (const [key, value] of Object.entries(fields ?? {})) entry[key] = renderValue(value);
    write(JSON.stringify(entry));
  };

  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** Errors do not survive JSON.stringify (their fields are not enumerable): flatten them. */
function renderValue(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const rendered: LogFields = { name: value.name, message: value.message };
  if (value.stack) rendered.stack = value.stack;
  if (value.cause !== undefined) rendered.cause = renderValue(value.cause);
  return rendered;
}
