import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { Note } from '../database/entities';
import { NOTE_ORDERS, type NoteOrder } from './note-order';

/** A row of a note list. */
export interface NoteListItem {
  id: number;
  name: string;
  updatedAt: Date;
  pad?: { id: number; name: string };
}

interface RawNoteRow {
  id: number | string;
  name: string;
  updated_at: unknown;
  pad_id?: number | string | null;
  pad_name?: string | null;
}

export interface NoteFields {
  name: string;
  text: string;
  padId: number | null;
}

@Injectable()
export class NotesService {
  private readonly notes: Repository<Note>;
  private readonly updatedAtColumn: ColumnMetadata;

  constructor(private readonly dataSource: DataSource) {
    this.notes = dataSource.getRepository(Note);
    this.updatedAtColumn = dataSource.getMetadata(Note).findColumnWithPropertyName('updatedAt')!;
  }

  /**
   * All of a user's notes (with their pads), or one pad's, in the given order. Lists can be
   * long, so rows are read raw (no entity hydration) and only the shown columns are fetched.
   */
  async list(userId: number, order: NoteOrder, padId?: number): Promise<NoteListItem[]> {
    const { column, direction } = NOTE_ORDERS[order];
    const query = this.notes
      .createQueryBuilder('note')
      .select(['note.id AS id', 'note.name AS name', 'note.updatedAt AS updated_at'])
      .where('note.userId = :userId', { userId })
      .orderBy(`note.${column}`, direction)
      .addOrderBy('note.id', direction);
    if (padId === undefined) {
      query.leftJoin('note.pad', 'pad').addSelect(['pad.id AS pad_id', 'pad.name AS pad_name']);
    } else {
      query.andWhere('note.padId = :padId', { padId });
    }
    const rows: RawNoteRow[] = await query.getRawMany();
    return rows.map((row) => ({
      id: Number(row.id),
      name: row.name,
      // The driver's own conversion (SQLite keeps UTC text, MySQL returns a Date).
      updatedAt: this.dataSource.driver.prepareHydratedValue(
        row.updated_at,
        this.updatedAtColumn,
      ) as Date,
      pad:
        row.pad_id === null || row.pad_id === undefined
          ? undefined
          : { id: Number(row.pad_id), name: row.pad_name! },
    }));
  }

  /**
   * The user's note (with its pad), or 404 when missing or someone else's. One query: `findOne`
   * with a relation would first select the distinct id (its LIMIT 1 applies to joined rows).
   */
  async findOwned(userId: number, id: number): Promise<Note> {
    const note = await this.notes
      .createQueryBuilder('note')
      .leftJoinAndSelect('note.pad', 'pad')
      .where('note.id = :id AND note.userId = :userId', { id, userId })
      .getOne();
    if (!note) throw new NotFoundException();
    return note;
  }

  create(userId: number, fields: NoteFields): Promise<Note> {
    const now = new Date();
    return this.notes.save(
      this.notes.create({ userId, ...fields, createdAt: now, updatedAt: now }),
    );
  }

  async update(note: Note, fields: NoteFields): Promise<void> {
    await this.notes.update(
      { id: note.id, userId: note.userId },
      { ...fields, updatedAt: new Date() },
    );
  }

  async delete(note: Note): Promise<void> {
    await this.notes.delete({ id: note.id, userId: note.userId });
  }
}
