import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { dateColumn } from './columns';
import type { Pad } from './pad.entity';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Unique, in the one normalisation of common/text.ts (compared byte for byte). */
  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  /** Raised by every password change; sessions of an older version are over. */
  @Column({ name: 'session_version', type: 'int', default: 0 })
  sessionVersion!: number;

  @Column(dateColumn('created_at'))
  createdAt!: Date;

  @OneToMany('Pad', 'user')
  pads?: Pad[];
}
