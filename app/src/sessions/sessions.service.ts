import { hash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { HousekeepingService } from '../database/housekeeping.service';
import { SQL, type Sql } from '../database/sql';
import { cookie, expiredCookie } from '../web/cookies';
import type { ActiveSession } from '../web/request-context';

export const SESSION_COOKIE = 'notejam.sid';
/** Extending the idle deadline more often than this would only add writes. */
export const TOUCH_GRANULARITY_MS = 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The database id of a session: the cookie's token never reaches the database. */
function sessionId(token: string): string {
  return hash('sha256', token, 'hex');
}

interface SessionRow {
  [column: string]: unknown;
  user_id: number;
  email: string;
  created_at: number | string;
  expires_at: number | string;
}

/**
 * Sessions of signed-in users, in the database so every replica sees them and they survive
 * restarts. Anonymous visitors have none. A session is over when its idle deadline or its
 * absolute lifetime has passed, or when the user's session version moved past the one it
 * was started with (a password change): that check is in the one query that loads it, so no
 * request still holding an old session can bring it back — the row is never written again
 * except to extend its deadline.
 */
@Injectable()
export class SessionsService {
  private readonly idleMs: number;
  private readonly lifetimeMs: number;

  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(APP_CONFIG) config: AppConfig,
    housekeeping: HousekeepingService,
  ) {
    this.idleMs = config.sessionIdleSeconds * 1000;
    this.lifetimeMs = config.sessionLifetimeSeconds * 1000;
    housekeeping.register('deleting expired sessions', () => this.pruneExpired());
  }

  /** The session of the request's cookie, extending its idle deadline at most once a minute. */
  async load(req: FastifyRequest, now = Date.now()): Promise<ActiveSession | null> {
    const token = req.cookies[SESSION_COOKIE];
    if (token === undefined || !TOKEN.test(token)) return null;
    const id = sessionId(token);
    const row = await this.sql.get<SessionRow>(
      `SELECT s.user_id, u.email, s.created_at, s.expires_at
         FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ? AND s.expires_at > ? AND s.created_at > ?
          AND s.session_version = u.session_version`,
      [id, now, now - this.lifetimeMs],
    );
    if (!row) return null;
    const deadline = Math.min(now + this.idleMs, Number(row.created_at) + this.lifetimeMs);
    if (deadline - Number(row.expires_at) >= TOUCH_GRANULARITY_MS) {
      await this.sql.run('UPDATE user_sessions SET expires_at = ? WHERE id = ?', [deadline, id]);
    }
    return { id, user: { id: Number(row.user_id), email: row.email } };
  }

  /** Starts a session for the user (ending the request's own, if any); returns its Set-Cookie. */
  async start(
    req: FastifyRequest,
    user: { id: number; sessionVersion: number },
    now = Date.now(),
  ): Promise<string> {
    if (req.session) await this.sql.run('DELETE FROM user_sessions WHERE id = ?', [req.session.id]);
    const token = randomBytes(32).toString('base64url');
    await this.sql.run(
      'INSERT INTO user_sessions (id, user_id, session_version, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      [
        sessionId(token),
        user.id,
        user.sessionVersion,
        now,
        now + Math.min(this.idleMs, this.lifetimeMs),
      ],
    );
    // The browser may keep the cookie as long as the session can live; the server decides.
    return cookie(req, SESSION_COOKIE, token, { maxAge: Math.floor(this.lifetimeMs / 1000) });
  }

  /** Ends the request's session (sign-out); returns the Set-Cookie that removes it. */
  async end(req: FastifyRequest): Promise<string> {
    if (req.session) await this.sql.run('DELETE FROM user_sessions WHERE id = ?', [req.session.id]);
    return expiredCookie(req, SESSION_COOKIE);
  }

  async pruneExpired(now = Date.now()): Promise<number> {
    return (await this.sql.run('DELETE FROM user_sessions WHERE expires_at <= ?', [now])).changes;
  }
}
