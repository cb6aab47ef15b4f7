import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { dateColumn } from './columns';
import type { User } from './user.entity';

@Entity('pads')
export class Pad {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The order of names on both databases: common/collation-key.ts of `name`. */
  @Column({ name: 'name_sort_key', type: 'blob' })
  nameSortKey!: Buffer;

  @Column(dateColumn('created_at'))
  createdAt!: Date;

  @Column(dateColumn('updated_at'))
  updatedAt!: Date;
}
