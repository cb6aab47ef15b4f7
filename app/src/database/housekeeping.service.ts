import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

/** How often each replica runs the chores (they are idempotent; replicas may overlap). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

/**
 * Chores the features register (deleting expired sessions, counters and reset links,
 * sort keys for names a pod of the previous release saved), run every 10 minutes while the
 * app serves. A failing chore is logged and tried again next time.
 */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Housekeeping');
  private readonly chores = new Map<string, () => Promise<unknown>>();
  private timer?: NodeJS.Timeout;

  register(name: string, chore: () => Promise<unknown>): void {
    this.chores.set(name, chore);
  }

  unregister(name: string): void {
    this.chores.delete(name);
  }

  /** Runs every chore once, one after the other. */
  async runAll(): Promise<void> {
    for (const [name, chore] of this.chores) {
      await chore().catch((error: unknown) =>
        this.logger.warn(
          `${name} failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runAll(), HOUSEKEEPING_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
