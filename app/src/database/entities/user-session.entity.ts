import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One signed-in browser (see sessions/sessions.service.ts). */
@Entity('user_sessions')
export class UserSession {
  /** SHA-256 (hex) of the token in the browser's cookie; the token itself is never stored. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  /** The user's `sessionVersion` at sign-in: once the user's moves on, this session is over. */
  @Column({ name: 'session_version', type: 'int' })
  sessionVersion!: number;

  /** Epoch milliseconds of the sign-in; the absolute lifetime counts from here. */
  @Column({ name: 'created_at', type: 'bigint' })
  createdAt!: string;

  /** Epoch milliseconds after which the session is over (idle time, capped by the lifetime). */
  @Column({ name: 'expires_at', type: 'bigint' })
  expiresAt!: string;
}
