import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PasswordReset, User } from '../database/entities';
import { hashPassword } from '../common/passwords';

const RESET_LIFETIME_MS = 60 * 60 * 1000;

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Single-use, expiring reset tokens; the database only ever holds their SHA-256. */
@Injectable()
export class PasswordResetsService {
  private readonly resets: Repository<PasswordReset>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.resets = dataSource.getRepository(PasswordReset);
  }

  /** Creates a reset for the user and returns the link to e-mail. */
  async createLink(user: User): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.resets.insert({
      userId: user.id,
      tokenHash: digest(token),
      expiresAt: new Date(now.getTime() + RESET_LIFETIME_MS),
      usedAt: null,
      createdAt: now,
    });
    return `${this.config.publicUrl}/reset-password/${token}/`;
  }

  /** The pending reset for a token, or null when unknown, used or expired. */
  findUsable(token: string): Promise<PasswordReset | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return Promise.resolve(null);
    return this.resets.findOneBy({
      tokenHash: digest(token),
      usedAt: IsNull(),
      expiresAt: MoreThan(new Date()),
    });
  }

  /**
   * Sets the new password, spends the token (only one of two racing requests wins) and ends
   * every session of the user. Returns false when the token was already spent.
   */
  async complete(reset: PasswordReset, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    return this.dataSource.transaction(async (manager) => {
      const spent = await manager.update(
        PasswordReset,
        { id: reset.id, usedAt: IsNull() },
        { usedAt: new Date() },
      );
      if (!spent.affected) return false;
      await manager.update(User, { id: reset.userId }, { passwordHash });
      await manager.query('DELETE FROM sessions WHERE user_id = ?', [reset.userId]);
      return true;
    });
  }
}
