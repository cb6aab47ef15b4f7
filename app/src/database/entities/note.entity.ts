import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { dateColumn } from './columns';
import type { Pad } from './pad.entity';

@Entity('notes')
export class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  /** NULL when the note is in no pad (never 0). */
  @Column({ name: 'pad_id', type: 'int', nullable: true })
  padId!: number | null;

  @ManyToOne('Pad', { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'pad_id' })
  pad?: Pad | null;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The order of names on both databases: common/collation-key.ts of `name`. */
  @Column({ name: 'name_sort_key', type: 'blob' })
  nameSortKey!: Buffer;

  @Column({ type: 'text' })
  text!: string;

  @Column(dateColumn('created_at'))
  createdAt!: Date;

  @Column(dateColumn('updated_at'))
  updatedAt!: Date;
}
