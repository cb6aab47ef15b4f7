import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { dateColumn } from './columns';
import type { Pad } from './pad.entity';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Stored lower-case, unique. */
  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column(dateColumn('created_at'))
  createdAt!: Date;

  @OneToMany('Pad', 'user')
  pads?: Pad[];
}
