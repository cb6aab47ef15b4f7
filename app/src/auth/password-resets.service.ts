import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { HousekeepingService } from '../database/housekeeping.service';
import { SQL, type Sql } from '../database/sql';

const RESET_LIFETIME_MS = 60 * 60 * 1000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface UsableReset {
  userId: number;
  tokenHash: string;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Single-use reset links that expire after an hour; the database only ever holds a SHA-256
 * of the e-mailed token. A link dies with any password change of its user (see
 * UsersService.changePassword); expired ones are deleted by the housekeeping.
 */
@Injectable()
export class PasswordResetsService {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    housekeeping: HousekeepingService,
  ) {
    housekeeping.register('deleting expired reset links', () => this.pruneExpired());
  }

  /** Creates a reset for the user and returns the link to e-mail. */
  async createLink(userId: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.sql.run(
      'INSERT INTO password_resets (user_id, token_hash, expires_at, used_at, created_at) VALUES (?, ?, ?, NULL, ?)',
      [userId, digest(token), new Date(now.getTime() + RESET_LIFETIME_MS), now],
    );
    return `${this.config.publicUrl}/reset-password/${token}/`;
  }

  /** The pending reset of a token, or undefined when unknown, used or expired. */
  async findUsable(token: string): Promise<UsableReset | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const tokenHash = digest(token);
    const row = await this.sql.get<{ user_id: number }>(
      'SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
      [tokenHash, new Date()],
    );
    return row && { userId: Number(row.user_id), tokenHash };
  }

  async pruneExpired(now = new Date()): Promise<number> {
    return (await this.sql.run('DELETE FROM password_resets WHERE expires_at <= ?', [now])).changes;
  }
}
