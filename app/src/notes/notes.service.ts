import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { Note } from '../database/entities';
import { NOTE_ORDERS, type NoteOrder } from '../web/note-order';

export interface NoteFields {
  name: string;
  text: string;
  padId: number | null;
}

@Injectable()
export class NotesService {
  private readonly notes: Repository<Note>;

  constructor(dataSource: DataSource) {
    this.notes = dataSource.getRepository(Note);
  }

  /** All of a user's notes (with their pads), or one pad's, in the given order. */
  list(userId: number, order: NoteOrder, padId?: number): Promise<Note[]> {
    const { column, direction } = NOTE_ORDERS[order];
    const query = this.notes
      .createQueryBuilder('note')
      .select(['note.id', 'note.name', 'note.padId', 'note.updatedAt'])
      .where('note.userId = :userId', { userId })
      .orderBy(`note.${column}`, direction)
      .addOrderBy('note.id', direction);
    if (padId === undefined) {
      query.leftJoin('note.pad', 'pad').addSelect(['pad.id', 'pad.name']);
    } else {
      query.andWhere('note.padId = :padId', { padId });
    }
    return query.getMany();
  }

  /** The user's note (with its pad), or 404 when missing or someone else's. */
  async findOwned(userId: number, id: number): Promise<Note> {
    const note = await this.notes.findOne({ where: { id, userId }, relations: { pad: true } });
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
