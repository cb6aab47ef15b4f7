import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per browser session (see auth/session-store.ts). */
@Entity('sessions')
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** The signed-in user, so a password change can end that user's other sessions. */
  @Column({ name: 'user_id', type: 'int', nullable: true })
  userId!: number | null;

  @Column({ type: 'text' })
  data!: string;

  /** Epoch milliseconds after which the session is gone. */
  @Column({ name: 'expires_at', type: 'bigint' })
  expiresAt!: string;
}
