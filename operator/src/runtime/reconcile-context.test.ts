// What a reconcile gets from the controller besides its key: an id in every log line it
// writes, a signal aborted at its timeout, and TerminalError for what retrying cannot fix.
import { describe, expect, it } from '@jest/globals';
import type { RateLimiter } from './backoff.js';
import { Controller, type Reconciler, TerminalError } from './controller.js';
import { createLogger } from './logger.js';

/** Records what the controller asks of its rate limiter: `when` is a retry with backoff. */
class RecordingRateLimiter implements RateLimiter<string> {
  readonly calls: string[] = [];
  when(item: string): number {
    this.calls.push(`when ${item}`);
    return 60_000; // far away: the test never sees the retry itself
  }
  forget(item: string): void {
    this.calls.push(`forget ${item}`);
  }
  failures(): number {
    return 0;
  }
}

function harness(reconcile: Reconciler, reconcileTimeoutMs?: number) {
  const lines: Array<Record<string, unknown>> = [];
  const rateLimiter = new RecordingRateLimiter();
  const controller = new Controller(
    { name: 'test', reconcile, rateLimiter, reconcileTimeoutMs },
    createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
  );
  controller.start();
  return { controller, lines, rateLimiter };
}

/** Resolves once `count` reconciles have finished (successfully or not). */
function reconciles(count: number) {
  let finished = 0;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } finally {
      if (++finished === count) setImmediate(resolve); // after the controller's bookkeeping
    }
  };
  return { done, track };
}

describe('the reconcile context', () => {
  it('gives each reconcile its own id, carried by every line it logs', async () => {
    const ids: string[] = [];
    const { done, track } = reconciles(2);
    const { controller, lines } = harness((_request, context) =>
      track(async () => {
        ids.push(context.reconcileId);
        context.log.info('working', { step: 1 });
        return {};
      }),
    );
    controller.queue.add('ns/a');
    controller.queue.add('ns/b');
    await done;
    await controller.stop();

    expect(new Set(ids).size).toBe(2);
    const working = lines.filter((line) => line.msg === 'working');
    expect(working).toEqual(
      ids.map((id, i) =>
        expect.objectContaining({ controller: 'test', key: `ns/${'ab'[i]}`, reconcileID: id }),
      ),
    );
  });

  it('retries an error with backoff, but not a TerminalError', async () => {
    const { done, track } = reconciles(2);
    const { controller, lines, rateLimiter } = harness((request) =>
      track(async () => {
        if (request.name === 'terminal') throw new TerminalError('the spec is refused');
        throw new Error('the API server is unavailable');
      }),
    );
    controller.queue.add('ns/terminal');
    controller.queue.add('ns/transient');
    await done;
    await controller.stop();

    expect(rateLimiter.calls).toEqual(['forget ns/terminal', 'when ns/transient']);
    const failures = lines.filter((line) => line.level === 'error');
    expect(failures.map((line) => [line.key, line.msg])).toEqual([
      ['ns/terminal', 'reconcile failed, not retried'],
      ['ns/transient', 'reconcile failed'],
    ]);
    expect(failures.every((line) => typeof line.reconcileID === 'string')).toBe(true);
  });

  it('aborts the signal of a reconcile that outlives its timeout', async () => {
    const { done, track } = reconciles(1);
    let reason: unknown;
    const { controller, rateLimiter } = harness(
      (_request, { signal }) =>
        track(async () => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          reason = signal.reason;
          signal.throwIfAborted();
          return {};
        }),
      20,
    );
    controller.queue.add('ns/slow');
    await done;
    await controller.stop();

    expect((reason as Error).name).toBe('TimeoutError');
    expect(rateLimiter.calls).toEqual(['when ns/slow']); // retried like any other error
  });
});
