import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A counter of attempts in a fixed window (see rate-limits/rate-limits.service.ts). */
@Entity('rate_limits')
export class RateLimit {
  /** HMAC-SHA256 (hex) of what is counted (an address, an account, ...); never the value. */
  @PrimaryColumn({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ type: 'int' })
  hits!: number;

  /** Epoch milliseconds when the window ends and the counter starts again. */
  @Column({ name: 'window_ends', type: 'bigint' })
  windowEnds!: string;
}
