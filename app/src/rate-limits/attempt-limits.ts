import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type RateLimitConfig } from '../config/config';
import { Metrics } from '../metrics/metrics';
import { clientAddressGroup } from '../web/client-address';
import { RateLimitsService } from './rate-limits.service';

/** How an attempt may go on. */
export interface Attempt {
  /** Seconds until the attempt may be made again; 0 when it may go on now. */
  refusedForSeconds: number;
  /** How long to wait before checking the password (per-account slowing down). */
  delayMs: number;
  /** The attempt succeeded: it is not counted as a failure after all. */
  succeeded(): Promise<void>;
}

/** The first extra delay once an account has had more failures than allowed, doubling up to MAX. */
export const SLOWDOWN_BASE_MS = 500;
export const SLOWDOWN_MAX_MS = 8_000;

/**
 * Limits that stop guessing without locking anyone out (OWASP ASVS 2.2). Only failures
 * count: each attempt is counted before its password is checked (so parallel guesses are
 * counted too) and taken back when it succeeds.
 * - sign-in: refused per (account, client address) and per client address (IPv6: /64)
 *   once over the limit; per account only slowed down, so the right password from a new
 *   address always works, however many strangers failed on that account;
 * - sign-up: refused per client address;
 * - reset e-mails: over the limit per account or address the answer stays the same, and
 *   nothing is sent;
 * - the settings form's old password: refused per account.
 */
@Injectable()
export class AttemptLimits {
  private readonly limits: RateLimitConfig;

  constructor(
    private readonly counters: RateLimitsService,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = config.rateLimit;
  }

  /** A sign-in of `account` (a normalised e-mail) from the client address `ip`. */
  async signIn(account: string, ip: string, now = Date.now()): Promise<Attempt> {
    const address = clientAddressGroup(ip);
    const keys = [
      this.counters.keyFor('sign-in account and address', `${account}\n${address}`),
      this.counters.keyFor('sign-in address', address),
      this.counters.keyFor('sign-in account', account),
    ];
    const [pair, byAddress, byAccount] = await this.counters.count(keys, now);
    const over = [pair, byAddress].filter(
      (counter, i) => counter.hits > (i === 0 ? this.limits.attempts : this.limits.addressAttempts),
    );
    if (over.length > 0) {
      this.metrics.rateLimited.inc({ action: 'sign-in', outcome: 'refused' });
      return this.refused(over, now);
    }
    const excess = byAccount.hits - this.limits.attempts;
    const delayMs =
      excess > 0 ? Math.min(SLOWDOWN_MAX_MS, SLOWDOWN_BASE_MS * 2 ** (excess - 1)) : 0;
    if (delayMs > 0) this.metrics.rateLimited.inc({ action: 'sign-in', outcome: 'slowed' });
    return { refusedForSeconds: 0, delayMs, succeeded: () => this.counters.uncount(keys) };
  }

  /** A sign-up from `ip`; every one counts (each may create an account). */
  async signUp(ip: string, now = Date.now()): Promise<number> {
    const [counter] = await this.counters.count(
      [this.counters.keyFor('sign-up address', clientAddressGroup(ip))],
      now,
    );
    if (counter.hits <= this.limits.addressAttempts) return 0;
    this.metrics.rateLimited.inc({ action: 'sign-up', outcome: 'refused' });
    return this.refused([counter], now).refusedForSeconds;
  }

  /** Whether to send the reset e-mail `account` asked for from `ip`. */
  async resetEmail(account: string, ip: string, now = Date.now()): Promise<boolean> {
    const [byAccount, byAddress] = await this.counters.count(
      [
        this.counters.keyFor('reset account', account),
        this.counters.keyFor('reset address', clientAddressGroup(ip)),
      ],
      now,
    );
    if (byAccount.hits <= this.limits.attempts && byAddress.hits <= this.limits.addressAttempts)
      return true;
    this.metrics.rateLimited.inc({ action: 'reset', outcome: 'silenced' });
    return false;
  }

  /** A check of the signed-in user's old password (the settings form). */
  async oldPassword(userId: number, now = Date.now()): Promise<Attempt> {
    const keys = [this.counters.keyFor('old password', String(userId))];
    const [counter] = await this.counters.count(keys, now);
    if (counter.hits > this.limits.attempts) {
      this.metrics.rateLimited.inc({ action: 'old-password', outcome: 'refused' });
      return this.refused([counter], now);
    }
    return { refusedForSeconds: 0, delayMs: 0, succeeded: () => this.counters.uncount(keys) };
  }

  private refused(counters: { windowEnds: number }[], now: number): Attempt {
    const until = Math.max(...counters.map((counter) => counter.windowEnds));
    return {
      refusedForSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
      delayMs: 0,
      succeeded: async () => undefined,
    };
  }
}

export function tooManyAttemptsMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}
