import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dialectOf } from './dialect';

/**
 * Indexes for the four note orders (name / last change, both directions) per user and per
 * pad, the session store and password-reset tokens. The sort indexes replace the plain
 * foreign-key indexes of the first migration (they start with the same column), so they
 * are created before those are dropped: MySQL insists on an index for every foreign key.
 */
export class SortIndexesSessionsResets1764300000001 implements MigrationInterface {
  name = 'SortIndexesSessionsResets1764300000001';

  async up(runner: QueryRunner): Promise<void> {
    const sql = dialectOf(runner);
    await runner.query('CREATE INDEX notes_user_updated ON notes (user_id, updated_at)');
    await runner.query('CREATE INDEX notes_user_name ON notes (user_id, name)');
    await runner.query('CREATE INDEX notes_pad_updated ON notes (pad_id, updated_at)');
    await runner.query('CREATE INDEX notes_pad_name ON notes (pad_id, name)');
    await runner.query(sql.dropIndex('notes', 'notes_user'));
    await runner.query(sql.dropIndex('notes', 'notes_pad'));

    await runner.query(
      `CREATE TABLE sessions (
        id VARCHAR(64) NOT NULL PRIMARY KEY,
        user_id INTEGER NULL,
        data TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )${sql.tableOptions}`,
    );
    await runner.query('CREATE INDEX sessions_expires ON sessions (expires_at)');
    await runner.query('CREATE INDEX sessions_user ON sessions (user_id)');

    await runner.query(
      `CREATE TABLE password_resets (
        id ${sql.serialKey},
        user_id INTEGER NOT NULL,
        token_hash VARCHAR(64) NOT NULL,
        expires_at ${sql.timestamp} NOT NULL,
        used_at ${sql.timestamp} NULL,
        created_at ${sql.timestamp} NOT NULL,
        CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )${sql.tableOptions}`,
    );
    await runner.query('CREATE UNIQUE INDEX password_resets_token ON password_resets (token_hash)');
    await runner.query('CREATE INDEX password_resets_user ON password_resets (user_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    const sql = dialectOf(runner);
    await runner.query('DROP TABLE password_resets');
    await runner.query('DROP TABLE sessions');
    await runner.query('CREATE INDEX notes_user ON notes (user_id)');
    await runner.query('CREATE INDEX notes_pad ON notes (pad_id)');
    for (const index of [
      'notes_user_updated',
      'notes_user_name',
      'notes_pad_updated',
      'notes_pad_name',
    ]) {
      await runner.query(sql.dropIndex('notes', index));
    }
  }
}
