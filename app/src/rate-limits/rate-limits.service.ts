import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { HousekeepingService } from '../database/housekeeping.service';
import { SQL, type Sql, type SqlValue } from '../database/sql';
import { deriveKey } from '../web/secret-keys';

export interface Counter {
  hits: number;
  /** Epoch milliseconds when the counter starts again from zero. */
  windowEnds: number;
}

/**
 * Counters of attempts in fixed windows, in the database: every replica counts into the same
 * rows, and memory stays flat whatever clients send. A row exists per counted key (an
 * HMAC of what is counted, 64 characters whatever its length) while its window lasts;
 * expired rows are deleted by the housekeeping.
 */
@Injectable()
export class RateLimitsService {
  private readonly key: Buffer;
  private readonly windowMs: number;

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(APP_CONFIG) config: AppConfig,
    housekeeping: HousekeepingService,
  ) {
    this.key = deriveKey(config.sessionSecret, 'rate-limits');
    this.windowMs = config.rateLimit.windowSeconds * 1000;
    housekeeping.register('deleting expired rate-limit counters', () => this.pruneExpired());
  }

  /** The key counting `value` for `purpose` (values are validated before they get here). */
  keyFor(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\n${value}`).digest('hex');
  }

  /** Counts one attempt on each key; returns the counters, in the order of `keys`. */
  async count(keys: string[], now = Date.now()): Promise<Counter[]> {
    const windowEnds = now + this.windowMs;
    const rows = keys.map(() => '(?, 1, ?)').join(', ');
    const values: SqlValue[] = keys.flatMap((key) => [key, windowEnds]);
    await this.sql.run(
      this.sql.dialect === 'sqlite'
        ? `INSERT INTO rate_limits (key_hash, hits, window_ends) VALUES ${rows}
           ON CONFLICT (key_hash) DO UPDATE SET
             hits = CASE WHEN rate_limits.window_ends <= ? THEN 1 ELSE rate_limits.hits + 1 END,
             window_ends = CASE WHEN rate_limits.window_ends <= ? THEN excluded.window_ends ELSE rate_limits.window_ends END`
        : // MySQL evaluates the assignments in order: `hits` still sees the old window.
          `INSERT INTO rate_limits (key_hash, hits, window_ends) VALUES ${rows}
           ON DUPLICATE KEY UPDATE
             hits = IF(window_ends <= ?, 1, hits + 1),
             window_ends = IF(window_ends <= ?, ?, window_ends)`,
      this.sql.dialect === 'sqlite' ? [...values, now, now] : [...values, now, now, windowEnds],
    );
    const counters = await this.sql.all<{
      key_hash: string;
      hits: number;
      window_ends: number | string;
    }>(
      `SELECT key_hash, hits, window_ends FROM rate_limits WHERE key_hash IN (${keys.map(() => '?').join(', ')})`,
      keys,
    );
    const byKey = new Map(counters.map((row) => [row.key_hash, row]));
    return keys.map((key) => {
      const row = byKey.get(key);
      return { hits: Number(row?.hits ?? 1), windowEnds: Number(row?.window_ends ?? windowEnds) };
    });
  }

  /** Takes back an attempt `count` recorded that turned out not to be a failure. */
  async uncount(keys: string[], now = Date.now()): Promise<void> {
    await this.sql.run(
      `UPDATE rate_limits SET hits = hits - 1
        WHERE key_hash IN (${keys.map(() => '?').join(', ')}) AND hits > 0 AND window_ends > ?`,
      [...keys, now],
    );
  }

  async pruneExpired(now = Date.now()): Promise<number> {
    return (await this.sql.run('DELETE FROM rate_limits WHERE window_ends <= ?', [now])).changes;
  }
}
