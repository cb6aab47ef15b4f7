import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dialectOf } from './dialect';

/** Users, pads and notes: the data Notejam is about. */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    const sql = dialectOf(runner);
    await runner.query(
      `CREATE TABLE users (
        id ${sql.serialKey},
        email VARCHAR(255) NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        created_at ${sql.timestamp} NOT NULL
      )${sql.tableOptions}`,
    );
    await runner.query('CREATE UNIQUE INDEX users_email_unique ON users (email)');
    await runner.query(
      `CREATE TABLE pads (
        id ${sql.serialKey},
        user_id INTEGER NOT NULL,
        name VARCHAR(100) ${sql.caseInsensitive} NOT NULL,
        created_at ${sql.timestamp} NOT NULL,
        updated_at ${sql.timestamp} NOT NULL,
        CONSTRAINT pads_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )${sql.tableOptions}`,
    );
    await runner.query('CREATE INDEX pads_user_name ON pads (user_id, name)');
    await runner.query(
      `CREATE TABLE notes (
        id ${sql.serialKey},
        user_id INTEGER NOT NULL,
        pad_id INTEGER NULL,
        name VARCHAR(100) ${sql.caseInsensitive} NOT NULL,
        text ${sql.longText} NOT NULL,
        created_at ${sql.timestamp} NOT NULL,
        updated_at ${sql.timestamp} NOT NULL,
        CONSTRAINT notes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT notes_pad_fk FOREIGN KEY (pad_id) REFERENCES pads (id) ON DELETE CASCADE
      )${sql.tableOptions}`,
    );
    await runner.query('CREATE INDEX notes_user ON notes (user_id)');
    await runner.query('CREATE INDEX notes_pad ON notes (pad_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE notes');
    await runner.query('DROP TABLE pads');
    await runner.query('DROP TABLE users');
  }
}
