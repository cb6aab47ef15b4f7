import { Store, type SessionData } from 'express-session';
import { LessThan, type DataSource, type Repository } from 'typeorm';
import { Session } from '../database/entities';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/** Extending the idle deadline more often than this would only add writes. */
export const TOUCH_GRANULARITY_MS = 60_000;
/** Bound on the deadlines remembered between `get` and `touch` (see `storedDeadlines`). */
const MAX_REMEMBERED_DEADLINES = 10_000;

/**
 * express-session store on the app's own database, so every replica sees every session and
 * sessions survive restarts. Expired rows are ignored on read and pruned periodically.
 */
export class DatabaseSessionStore extends Store {
  private readonly sessions: Repository<Session>;
  private pruneTimer?: NodeJS.Timeout;
  /**
   * Each session's stored deadline as `get` last read it (at the start of every request), so
   * the request's `touch` can tell that the row was extended less than TOUCH_GRANULARITY_MS
   * ago and skip the write: most page views then cost no write at all.
   */
  private readonly storedDeadlines = new Map<string, number>();

  constructor(
    dataSource: DataSource,
    private readonly idleMs: number,
  ) {
    super();
    this.sessions = dataSource.getRepository(Session);
  }

  /** Deletes expired rows every `intervalMs`; the timer does not keep the process alive. */
  startPruning(intervalMs = 10 * 60_000): void {
    this.pruneTimer = setInterval(
      () => void this.pruneExpired().catch(() => undefined),
      intervalMs,
    );
    this.pruneTimer.unref();
  }

  stopPruning(): void {
    clearInterval(this.pruneTimer);
  }

  async pruneExpired(now = Date.now()): Promise<number> {
    const result = await this.sessions.delete({ expiresAt: LessThan(String(now)) });
    return result.affected ?? 0;
  }

  /** Ends every session of `userId` except `keepId` (after a password change). */
  async destroyOthers(userId: number, keepId: string): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .delete()
      .where('user_id = :userId AND id <> :keepId', { userId, keepId })
      .execute();
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.sessions
      .findOneBy({ id: sid })
      .then((row) => {
        if (!row || Number(row.expiresAt) <= Date.now()) return callback(null, null);
        this.rememberDeadline(sid, Number(row.expiresAt));
        callback(null, JSON.parse(row.data) as SessionData);
      })
      .catch((error: unknown) => callback(error));
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.storedDeadlines.delete(sid);
    const row = {
      id: sid,
      userId: data.userId ?? null,
      data: JSON.stringify(data),
      expiresAt: String(this.expiryOf(data)),
    };
    this.sessions
      .upsert(row, ['id'])
      .then(() => callback?.())
      .catch((error: unknown) => callback?.(error));
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const expiresAt = this.expiryOf(data);
    const stored = this.storedDeadlines.get(sid);
    if (stored !== undefined && stored >= expiresAt - TOUCH_GRANULARITY_MS) {
      callback?.();
      return;
    }
    this.sessions
      .createQueryBuilder()
      .update()
      .set({ expiresAt: String(expiresAt) })
      .where('id = :sid AND expires_at < :stale', {
        sid,
        stale: String(expiresAt - TOUCH_GRANULARITY_MS),
      })
      .execute()
      .then(() => callback?.())
      .catch((error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.storedDeadlines.delete(sid);
    this.sessions
      .delete({ id: sid })
      .then(() => callback?.())
      .catch((error: unknown) => callback?.(error));
  }

  private rememberDeadline(sid: string, expiresAt: number): void {
    this.storedDeadlines.delete(sid);
    if (this.storedDeadlines.size >= MAX_REMEMBERED_DEADLINES) {
      // Sessions that end by expiry are never destroyed here: forget the oldest entry.
      this.storedDeadlines.delete(this.storedDeadlines.keys().next().value!);
    }
    this.storedDeadlines.set(sid, expiresAt);
  }

  private expiryOf(data: SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + this.idleMs;
  }
}
