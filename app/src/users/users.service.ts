import { Inject, Injectable } from '@nestjs/common';
import { hashPassword, verifyDecoy, verifyPassword } from '../common/passwords';
import { normalizeEmail } from '../common/text';
import { SQL, type Sql } from '../database/sql';

export class EmailTakenError extends Error {}

/** A user as signing in needs it. */
export interface Account {
  id: number;
  email: string;
  sessionVersion: number;
}

interface UserRow {
  [column: string]: unknown;
  id: number;
  email: string;
  password_hash: string;
  session_version: number;
}

const account = (row: UserRow): Account => ({
  id: Number(row.id),
  email: row.email,
  sessionVersion: Number(row.session_version),
});

@Injectable()
export class UsersService {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  async findByEmail(email: string): Promise<Account | undefined> {
    const row = await this.byEmail(email);
    return row && account(row);
  }

  /** Throws EmailTakenError when the address is in use (also when two sign-ups race). */
  async create(email: string, password: string): Promise<number> {
    const normalized = normalizeEmail(email);
    if (await this.byEmail(normalized)) throw new EmailTakenError();
    const passwordHash = await hashPassword(password);
    try {
      const { insertId } = await this.sql.run(
        'INSERT INTO users (email, password_hash, session_version, created_at) VALUES (?, ?, 0, ?)',
        [normalized, passwordHash, new Date()],
      );
      return insertId;
    } catch (error) {
      if (await this.byEmail(normalized)) throw new EmailTakenError();
      throw error;
    }
  }

  /** The user with these credentials, or null; takes as long whether or not the e-mail exists. */
  async authenticate(email: string, password: string): Promise<Account | null> {
    const row = await this.byEmail(email);
    if (!row) return verifyDecoy(password).then(() => null);
    return (await verifyPassword(row.password_hash, password)) ? account(row) : null;
  }

  async checkPassword(userId: number, password: string): Promise<boolean> {
    const row = await this.sql.get<UserRow>('SELECT password_hash FROM users WHERE id = ?', [
      userId,
    ]);
    return row !== undefined && verifyPassword(row.password_hash, password);
  }

  /**
   * Sets a new password, and with it, in one transaction: raises the user's session
   * version, so every other session is over (a request still in flight with one cannot
   * bring it back); deletes the user's pending reset links. `keepSessionId` stays signed
   * in (the settings form); `resetTokenHash` must still be a usable link of the user, and is
   * spent (only one of two racing requests wins). Returns false when that link was not.
   */
  async changePassword(
    userId: number,
    password: string,
    { keepSessionId, resetTokenHash }: { keepSessionId?: string; resetTokenHash?: string } = {},
  ): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    return this.sql.transaction(async (tx) => {
      if (resetTokenHash !== undefined) {
        const spent = await tx.run(
          'DELETE FROM password_resets WHERE token_hash = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?',
          [resetTokenHash, userId, new Date()],
        );
        if (spent.changes === 0) return false;
      }
      await tx.run(
        'UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE id = ?',
        [passwordHash, userId],
      );
      await tx.run('DELETE FROM password_resets WHERE user_id = ?', [userId]);
      if (keepSessionId === undefined) {
        await tx.run('DELETE FROM user_sessions WHERE user_id = ?', [userId]);
      } else {
        await tx.run('DELETE FROM user_sessions WHERE user_id = ? AND id <> ?', [
          userId,
          keepSessionId,
        ]);
        await tx.run(
          'UPDATE user_sessions SET session_version = (SELECT session_version FROM users WHERE id = ?) WHERE id = ?',
          [userId, keepSessionId],
        );
      }
      return true;
    });
  }

  private byEmail(email: string): Promise<UserRow | undefined> {
    return this.sql.get<UserRow>(
      'SELECT id, email, password_hash, session_version FROM users WHERE email = ?',
      [normalizeEmail(email)],
    );
  }
}
