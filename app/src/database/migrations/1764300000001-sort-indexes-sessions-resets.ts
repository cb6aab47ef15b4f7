import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './dialect';

/**
 * Indexes for the four note orders (name / last change, both directions) per user and per
 * pad, the session store and password-reset tokens. The sort indexes replace the plain
 * foreign-key indexes of the first migration (they start with the same column), so they
 * are created before those are dropped: MySQL insists on an index for every foreign key.
 * Every step may run again (see dialect.ts).
 */
export class SortIndexesSessionsResets1764300000001 implements MigrationInterface {
  name = 'SortIndexesSessionsResets1764300000001';

  async up(runner: QueryRunner): Promise<void> {
    const schema = schemaOf(runner);
    const { sql } = schema;
    await schema.createIndex('notes', 'notes_user_updated', ['user_id', 'updated_at']);
    await schema.createIndex('notes', 'notes_user_name', ['user_id', 'name']);
    await schema.createIndex('notes', 'notes_pad_updated', ['pad_id', 'updated_at']);
    await schema.createIndex('notes', 'notes_pad_name', ['pad_id', 'name']);
    await schema.dropIndex('notes', 'notes_user');
    await schema.dropIndex('notes', 'notes_pad');

    await schema.createTable(
      'sessions',
      `id VARCHAR(64) NOT NULL PRIMARY KEY,
        user_id INTEGER NULL,
        data TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`,
    );
    await schema.createIndex('sessions', 'sessions_expires', ['expires_at']);
    await schema.createIndex('sessions', 'sessions_user', ['user_id']);

    await schema.createTable(
      'password_resets',
      `id ${sql.serialKey},
        user_id INTEGER NOT NULL,
        token_hash VARCHAR(64) NOT NULL,
        expires_at ${sql.timestamp} NOT NULL,
        used_at ${sql.timestamp} NULL,
        created_at ${sql.timestamp} NOT NULL,
        CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`,
    );
    await schema.createIndex('password_resets', 'password_resets_token', ['token_hash'], true);
    await schema.createIndex('password_resets', 'password_resets_user', ['user_id']);
  }

  async down(runner: QueryRunner): Promise<void> {
    const schema = schemaOf(runner);
    await schema.dropTable('password_resets');
    await schema.dropTable('sessions');
    await schema.createIndex('notes', 'notes_user', ['user_id']);
    await schema.createIndex('notes', 'notes_pad', ['pad_id']);
    for (const index of [
      'notes_user_updated',
      'notes_user_name',
      'notes_pad_updated',
      'notes_pad_name',
    ]) {
      await schema.dropIndex('notes', index);
    }
  }
}
