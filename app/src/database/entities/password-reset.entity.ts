import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { dateColumn } from './columns';

/** A pending password reset; only a hash of the e-mailed token is stored. */
@Entity('password_resets')
export class PasswordReset {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column(dateColumn('expires_at'))
  expiresAt!: Date;

  @Column({ ...dateColumn('used_at'), nullable: true })
  usedAt!: Date | null;

  @Column(dateColumn('created_at'))
  createdAt!: Date;
}
