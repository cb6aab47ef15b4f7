/**
 * One reconcile of one instance: what every stage needs (the instance, the time, the log
 * with its reconcile id, the abort signal) and what they leave for the end (the failures
 * the status reports, when to come back). A failed step does not end the reconcile: it is
 * recorded, the steps that do not depend on it still run, the status says what refused
 * what, and only then is the reconcile failed (retried with backoff, or not at all when
 * no retry can help). Only an abort (the reconcile's timeout) ends it early.
 */
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { type ReconcileResult, TerminalError } from '../../runtime/controller.js';
import type { Logger } from '../../runtime/logger.js';
import { ReconcileFailures, type StepFailure, stepFailure } from './failures.js';

export class ReconcileRun {
  readonly failures: StepFailure[] = [];
  private readonly requeues: number[] = [];

  constructor(
    readonly instance: NotejamInstance,
    /** `namespace/name`. */
    readonly key: string,
    readonly now: Date,
    readonly log: Logger,
    readonly signal: AbortSignal,
  ) {}

  /**
   * Runs one step; its error is recorded as a failure of `subject` while `doing` (see
   * failures.ts). Returns whether it succeeded. An abort is not a failure: it ends the
   * reconcile.
   */
  async attempt(subject: string, doing: string, work: () => Promise<void>): Promise<boolean> {
    this.signal.throwIfAborted();
    try {
      await work();
      return true;
    } catch (err) {
      if (this.signal.aborted) throw err;
      this.fail(stepFailure(subject, doing, err));
      this.log.warn('step failed', { step: doing, err });
      return false;
    }
  }

  fail(failure: StepFailure): void {
    this.failures.push(failure);
  }

  /** Come back after `ms` at the latest (the earliest request wins). */
  requeueAfter(ms: number | undefined): void {
    if (ms !== undefined) this.requeues.push(Math.max(0, ms));
  }

  /** Ends the reconcile between stages when its time is up. */
  checkpoint(): void {
    this.signal.throwIfAborted();
  }

  /**
   * The controller's answer: come back when asked; with failures, an error it retries
   * with backoff, or a TerminalError when every failure is one no retry can fix (an
   * object the API server refuses as invalid) and nothing else asks to come back.
   */
  result(): ReconcileResult {
    const requeueAfterMs = this.requeues.length ? Math.min(...this.requeues) : undefined;
    if (this.failures.length === 0) return requeueAfterMs === undefined ? {} : { requeueAfterMs };
    const error = new ReconcileFailures(this.failures);
    if (!this.failures.every((failure) => failure.terminal)) throw error;
    if (requeueAfterMs !== undefined) {
      this.log.error('reconcile failed, retried only with the requested requeue', { err: error });
      return { requeueAfterMs };
    }
    throw new TerminalError(error.message, { cause: error });
  }
}
