import { Inject, Injectable } from '@nestjs/common';
import { nameSortKey } from '../common/collation-key';
import { SQL, type Sql } from '../database/sql';
import type { PadLinks } from '../web/page.interceptor';
import type { PadLink } from '../web/request-context';

/** The user's pads; also what the layout's "My pads" column lists (PAD_LINKS). */
@Injectable()
export class PadsService implements PadLinks {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  /** The user's pads, ordered by name as people read (common/collation-key.ts). */
  async listFor(userId: number): Promise<PadLink[]> {
    const rows = await this.sql.all<{ id: number; name: string }>(
      'SELECT id, name FROM pads WHERE user_id = ? ORDER BY name_sort_key, id',
      [userId],
    );
    return rows.map((row) => ({ id: Number(row.id), name: row.name }));
  }

  async create(userId: number, name: string): Promise<void> {
    const now = new Date();
    await this.sql.run(
      'INSERT INTO pads (user_id, name, name_sort_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      [userId, name, nameSortKey(name), now, now],
    );
  }

  async rename(userId: number, id: number, name: string): Promise<void> {
    await this.sql.run(
      'UPDATE pads SET name = ?, name_sort_key = ?, updated_at = ? WHERE id = ? AND user_id = ?',
      [name, nameSortKey(name), new Date(), id, userId],
    );
  }

  /** Its notes go with it (ON DELETE CASCADE). */
  async delete(userId: number, id: number): Promise<void> {
    await this.sql.run('DELETE FROM pads WHERE id = ? AND user_id = ?', [id, userId]);
  }
}
