import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './dialect';

/** Users, pads and notes: the data Notejam is about. Every step may run again (see dialect.ts). */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    const schema = schemaOf(runner);
    const { sql } = schema;
    await schema.createTable(
      'users',
      `id ${sql.serialKey},
        email VARCHAR(255) NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        created_at ${sql.timestamp} NOT NULL`,
    );
    await schema.createIndex('users', 'users_email_unique', ['email'], true);
    await schema.createTable(
      'pads',
      `id ${sql.serialKey},
        user_id INTEGER NOT NULL,
        name VARCHAR(100) ${sql.caseInsensitive} NOT NULL,
        created_at ${sql.timestamp} NOT NULL,
        updated_at ${sql.timestamp} NOT NULL,
        CONSTRAINT pads_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`,
    );
    await schema.createIndex('pads', 'pads_user_name', ['user_id', 'name']);
    await schema.createTable(
      'notes',
      `id ${sql.serialKey},
        user_id INTEGER NOT NULL,
        pad_id INTEGER NULL,
        name VARCHAR(100) ${sql.caseInsensitive} NOT NULL,
        text ${sql.longText} NOT NULL,
        created_at ${sql.timestamp} NOT NULL,
        updated_at ${sql.timestamp} NOT NULL,
        CONSTRAINT notes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT notes_pad_fk FOREIGN KEY (pad_id) REFERENCES pads (id) ON DELETE CASCADE`,
    );
    await schema.createIndex('notes', 'notes_user', ['user_id']);
    await schema.createIndex('notes', 'notes_pad', ['pad_id']);
  }

  async down(runner: QueryRunner): Promise<void> {
    const schema = schemaOf(runner);
    await schema.dropTable('notes');
    await schema.dropTable('pads');
    await schema.dropTable('users');
  }
}
