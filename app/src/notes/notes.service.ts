import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { nameSortKey } from '../common/collation-key';
import { SQL, type Sql } from '../database/sql';
import { NOTE_ORDERS, type NoteOrder } from './note-order';

/** A row of a note list. */
export interface NoteListItem {
  id: number;
  name: string;
  padId: number | null;
  updatedAt: Date;
}

export interface Note extends NoteListItem {
  text: string;
}

export interface NoteFields {
  name: string;
  text: string;
  padId: number | null;
}

interface NoteRow {
  [column: string]: unknown;
  id: number;
  name: string;
  pad_id: number | null;
  updated_at: unknown;
  text?: string;
}

@Injectable()
export class NotesService {
  private readonly listQueries: Record<NoteOrder, { all: string; inPad: string }>;

  constructor(@Inject(SQL) private readonly sql: Sql) {
    const list = (where: string, order: NoteOrder) => {
      const { column, direction } = NOTE_ORDERS[order];
      return `SELECT id, name, pad_id, updated_at FROM notes WHERE ${where} ORDER BY ${column} ${direction}, id ${direction}`;
    };
    this.listQueries = Object.fromEntries(
      Object.keys(NOTE_ORDERS).map((order) => [
        order,
        {
          all: list('user_id = ?', order as NoteOrder),
          inPad: list('user_id = ? AND pad_id = ?', order as NoteOrder),
        },
      ]),
    ) as Record<NoteOrder, { all: string; inPad: string }>;
  }

  /** All of a user's notes, or one pad's, in the given order (pads' names come from the caller). */
  async list(userId: number, order: NoteOrder, padId?: number): Promise<NoteListItem[]> {
    const queries = this.listQueries[order];
    const rows =
      padId === undefined
        ? await this.sql.all<NoteRow>(queries.all, [userId])
        : await this.sql.all<NoteRow>(queries.inPad, [userId, padId]);
    return rows.map((row) => this.item(row));
  }

  /** The user's note, or 404 when missing or someone else's. */
  async findOwned(userId: number, id: number): Promise<Note> {
    const row = await this.sql.get<NoteRow>(
      'SELECT id, name, text, pad_id, updated_at FROM notes WHERE id = ? AND user_id = ?',
      [id, userId],
    );
    if (!row) throw new NotFoundException();
    return { ...this.item(row), text: row.text ?? '' };
  }

  /** `fields.padId` must be one of the user's pads (the controller checks it). */
  async create(userId: number, fields: NoteFields): Promise<number> {
    const now = new Date();
    const { insertId } = await this.sql.run(
      'INSERT INTO notes (user_id, pad_id, name, name_sort_key, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [userId, fields.padId, fields.name, nameSortKey(fields.name), fields.text, now, now],
    );
    return insertId;
  }

  async update(userId: number, id: number, fields: NoteFields): Promise<void> {
    await this.sql.run(
      'UPDATE notes SET pad_id = ?, name = ?, name_sort_key = ?, text = ?, updated_at = ? WHERE id = ? AND user_id = ?',
      [fields.padId, fields.name, nameSortKey(fields.name), fields.text, new Date(), id, userId],
    );
  }

  async delete(userId: number, id: number): Promise<void> {
    await this.sql.run('DELETE FROM notes WHERE id = ? AND user_id = ?', [id, userId]);
  }

  private item(row: NoteRow): NoteListItem {
    return {
      id: Number(row.id),
      name: row.name,
      padId: row.pad_id === null ? null : Number(row.pad_id),
      updatedAt: this.sql.date(row.updated_at),
    };
  }
}
