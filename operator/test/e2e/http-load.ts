// Continuous HTTP load from the test process, shaped like the traffic a reverse proxy sends:
// a few loops, each sending its next request as soon as the previous one is answered, over
// the keep-alive connections of one http.Agent. Keep-alive is what makes a rollout hard: a
// connection stays pinned to its pod until the pod closes it, so a terminating pod must
// finish what it received and close cleanly, and new connections must reach ready pods
// only. Every error, timeout or wrong answer is recorded; nothing is retried.
import http from 'node:http';
import { messageOf } from './cluster.js';
import { notesPageCheck, type User } from './notejam-client.js';

export interface LoadFailure {
  at: Date;
  loop: number;
  what: string;
}

export interface LoadReport {
  requests: number;
  failures: LoadFailure[];
  seconds: number;
}

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  loops: number;
  /** Between one loop's requests: keeps a shared machine's CPU for the rollout itself. */
  pauseMs: number;
  timeoutMs: number;
  /** Why an answer is wrong, or undefined when it is right (header names in lower case). */
  check(status: number, body: string, headers: http.IncomingHttpHeaders): string | undefined;
}

export interface Load {
  /** Stops the loops once their requests in flight are answered. */
  stop(): Promise<LoadReport>;
}

export function startLoad(options: LoadOptions): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.loops });
  const failures: LoadFailure[] = [];
  const started = Date.now();
  let requests = 0;
  let running = true;

  const loop = async (index: number) => {
    while (running) {
      requests += 1;
      try {
        const { status, body, headers } = await get(options, agent);
        const wrong = options.check(status, body, headers);
        if (wrong) failures.push({ at: new Date(), loop: index, what: wrong });
      } catch (error) {
        failures.push({ at: new Date(), loop: index, what: messageOf(error) });
      }
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const loops = Array.from({ length: options.loops }, (_, index) => loop(index));

  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { requests, failures, seconds: (Date.now() - started) / 1000 };
    },
  };
}

function get(
  options: LoadOptions,
  agent: http.Agent,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.get(options.url, { agent, headers: options.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body, headers: response.headers }),
      );
      // The connection broke during the body.
      response.on('error', reject);
    });
    request.setTimeout(options.timeoutMs, () =>
      request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
    );
    request.on('error', reject);
  });
}

/** The failures grouped by what went wrong, then the first ones in order, for a test failure. */
export function describeFailures(failures: LoadFailure[], limit = 20): string {
  const byWhat = new Map<string, number>();
  for (const { what } of failures) byWhat.set(what, (byWhat.get(what) ?? 0) + 1);
  const groups = [...byWhat].map(([what, count]) => `  ${count} x ${what}`);
  const first = failures
    .slice(0, limit)
    .map(({ at, loop, what }) => `  ${at.toISOString()} loop ${loop}: ${what}`);
  return [
    `${failures.length} failed request(s):`,
    ...groups,
    `the first ${first.length}:`,
    ...first,
  ].join('\n');
}

/**
 * A signed-in user reading the all-notes page in `loops` keep-alive loops. Without `check`,
 * every answer must be the page with the user's note.
 */
export function startReading(
  baseUrl: string,
  user: User,
  loops: number,
  check: LoadOptions['check'] = notesPageCheck(user),
): Load {
  return startLoad({
    url: `${baseUrl}/`,
    headers: { cookie: user.client.cookieHeader() },
    loops,
    pauseMs: 20,
    timeoutMs: 10_000,
    check,
  });
}
