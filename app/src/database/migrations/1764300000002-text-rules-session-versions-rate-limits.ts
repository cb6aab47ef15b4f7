import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizeEmail } from '../../common/text';
import { fillMissingNameSortKeys } from '../name-sort-keys';
import { MAX_SORT_KEY_BYTES } from '../../common/collation-key';
import { schemaOf } from './dialect';

/**
 * One behaviour on both databases, sessions that stay revoked, and shared abuse counters:
 * - `users.email` compared byte for byte (MySQL's utf8mb4_unicode_ci made josé@ and jose@
 *   one account) and stored in the app's one normalisation (common/text.ts);
 * - `name_sort_key` on pads and notes, the order of names on both databases, with indexes
 *   that serve it per user and per pad (they replace the indexes on the names);
 * - `users.session_version`, raised by every password change: a session of an older version
 *   is over, whatever request still holds it;
 * - `user_sessions`, the new session store (the previous release's `sessions` table stays
 *   for its pods during the rolling update; the next release drops it);
 * - `rate_limits`, failed attempts counted across replicas.
 * Every step may run again (see dialect.ts); added columns have defaults, so pods of the
 * previous release keep working during the rolling update.
 */
export class TextRulesSessionVersionsRateLimits1764300000002 implements MigrationInterface {
  name = 'TextRulesSessionVersionsRateLimits1764300000002';

  async up(runner: QueryRunner): Promise<void> {
    const schema = schemaOf(runner);
    const { sql } = schema;
    const query = (statement: string, params: unknown[]) =>
      runner.query(statement, params) as Promise<object[]>;

    if (sql.exactText !== '') {
      await runner.query(`ALTER TABLE users MODIFY email VARCHAR(255) ${sql.exactText} NOT NULL`);
    }
    await renormalizeEmails(runner);
    await schema.addColumn('users', 'session_version', 'INTEGER NOT NULL DEFAULT 0');

    for (const table of ['pads', 'notes']) {
      await schema.addColumn(
        table,
        'name_sort_key',
        `${sql.bytes(MAX_SORT_KEY_BYTES)} NOT NULL DEFAULT ${sql.emptyBytes}`,
      );
    }
    await fillMissingNameSortKeys({ all: query, run: query });
    // New indexes first: MySQL needs one on each foreign key at every moment.
    await schema.createIndex('pads', 'pads_user_sort', ['user_id', 'name_sort_key']);
    await schema.createIndex('notes', 'notes_user_sort', ['user_id', 'name_sort_key']);
    await schema.createIndex('notes', 'notes_pad_sort', ['pad_id', 'name_sort_key']);
    await schema.dropIndex('pads', 'pads_user_name');
    await schema.dropIndex('notes', 'notes_user_name');
    await schema.dropIndex('notes', 'notes_pad_name');

    await schema.createTable(
      'user_sessions',
      `id CHAR(64) NOT NULL PRIMARY KEY,
        user_id INTEGER NOT NULL,
        session_version INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        CONSTRAINT user_sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`,
    );
    await schema.createIndex('user_sessions', 'user_sessions_user', ['user_id']);
    await schema.createIndex('user_sessions', 'user_sessions_expires', ['expires_at']);

    await schema.createTable(
      'rate_limits',
      `key_hash CHAR(64) NOT NULL PRIMARY KEY,
        hits INTEGER NOT NULL,
        window_ends BIGINT NOT NULL`,
    );
    await schema.createIndex('rate_limits', 'rate_limits_window_ends', ['window_ends']);
  }

  async down(runner: QueryRunner): Promise<void> {
    const schema = schemaOf(runner);
    const { sql } = schema;
    await schema.dropTable('rate_limits');
    await schema.dropTable('user_sessions');
    await schema.createIndex('pads', 'pads_user_name', ['user_id', 'name']);
    await schema.createIndex('notes', 'notes_user_name', ['user_id', 'name']);
    await schema.createIndex('notes', 'notes_pad_name', ['pad_id', 'name']);
    await schema.dropIndex('pads', 'pads_user_sort');
    await schema.dropIndex('notes', 'notes_user_sort');
    await schema.dropIndex('notes', 'notes_pad_sort');
    await schema.dropColumn('pads', 'name_sort_key');
    await schema.dropColumn('notes', 'name_sort_key');
    await schema.dropColumn('users', 'session_version');
    // Fails when two addresses now differ only in accents or case: undoing cannot merge them.
    if (sql.exactText !== '') {
      await runner.query(
        `ALTER TABLE users MODIFY email VARCHAR(255) ${sql.caseInsensitive} NOT NULL`,
      );
    }
  }
}

/**
 * Rewrites addresses stored in the previous spelling (trimmed and lower-cased only) in the
 * one normalisation. An address whose new spelling another account already has keeps its
 * old one (possible only on SQLite, where josé in two Unicode forms could both exist).
 */
async function renormalizeEmails(runner: QueryRunner): Promise<void> {
  let after = 0;
  for (;;) {
    const users = (await runner.query(
      'SELECT id, email FROM users WHERE id > ? ORDER BY id LIMIT 500',
      [after],
    )) as { id: number; email: string }[];
    for (const { id, email } of users) {
      const normalized = normalizeEmail(email);
      if (normalized === email) continue;
      const taken = (await runner.query('SELECT id FROM users WHERE email = ?', [
        normalized,
      ])) as unknown[];
      if (taken.length === 0)
        await runner.query('UPDATE users SET email = ? WHERE id = ?', [normalized, id]);
    }
    if (users.length < 500) return;
    after = users[users.length - 1].id;
  }
}
