// Open-loop HTTP load that records every request: requests start at a set rate whatever the
// server does (as users arrive, unlike loops that wait for each answer and so slow down with
// the server), each with its start time, latency and outcome. The rate can change while it
// runs (a peak). Nothing is retried: an error, a timeout or a wrong answer is a failed
// request.
//
// The requests go round-robin over several clients, each with its own keep-alive
// connection, and each client ends its connection every `requestsPerConnection` requests
// (`Connection: close`), as users come and go. kube-proxy balances connections, not
// requests: one long-lived connection kept the whole load on one pod (seen on the cluster:
// 48m CPU on it, 6m on the four others), and pods added by the autoscaler only get the
// connections opened after they are ready.
import http from 'node:http';
import { messageOf } from '../e2e/cluster.js';

export interface RequestRecord {
  /** Milliseconds since the load started. */
  startedMs: number;
  latencyMs: number;
  /** Why it failed; undefined when it was answered right. */
  failure?: string;
}

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  /** Requests started per second. */
  rate: number;
  timeoutMs: number;
  /** More requests than this unanswered at once: the next ones fail at once (a bounded client). */
  maxInFlight: number;
  /** Clients, each with its own keep-alive connection(s). */
  clients: number;
  /** A client closes its connection after this many requests and opens a new one. */
  requestsPerConnection: number;
  /** Why an answer is wrong, or undefined when it is right. */
  check(status: number, body: string): string | undefined;
}

export class RecordedLoad {
  readonly records: RequestRecord[] = [];
  readonly startedAt = Date.now();
  private readonly agents: http.Agent[];
  private readonly sentBy: number[];
  private nextClient = 0;
  private rate: number;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** Requests owed by the clock but not yet started (the timer ticks coarser than the rate). */
  private owed = 0;
  private lastTick = Date.now();

  constructor(private readonly options: LoadOptions) {
    this.rate = options.rate;
    const maxSockets = Math.ceil(options.maxInFlight / options.clients);
    this.agents = Array.from(
      { length: options.clients },
      () => new http.Agent({ keepAlive: true, maxSockets }),
    );
    this.sentBy = this.agents.map(() => 0);
    this.timer = setInterval(() => this.tick(), 10);
  }

  /** Milliseconds since the load started. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  setRate(rate: number): void {
    this.rate = rate;
  }

  /** Stops starting requests and waits for those in flight. */
  async stop(): Promise<RequestRecord[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.pending);
    for (const agent of this.agents) agent.destroy();
    return this.records;
  }

  private tick(): void {
    const now = Date.now();
    this.owed += ((now - this.lastTick) / 1000) * this.rate;
    this.lastTick = now;
    while (this.owed >= 1) {
      this.owed -= 1;
      this.send();
    }
  }

  private send(): void {
    const record: RequestRecord = { startedMs: this.now(), latencyMs: 0 };
    this.records.push(record);
    if (this.inFlight >= this.options.maxInFlight) {
      record.failure = `client: ${this.options.maxInFlight} requests already unanswered`;
      return;
    }
    this.inFlight += 1;
    const client = this.nextClient;
    this.nextClient = (client + 1) % this.agents.length;
    this.sentBy[client] = (this.sentBy[client] ?? 0) + 1;
    const last = (this.sentBy[client] as number) % this.options.requestsPerConnection === 0;
    const done = this.get(this.agents[client] as http.Agent, last)
      .then(({ status, body }) => {
        record.failure = this.options.check(status, body);
      })
      .catch((error: unknown) => {
        record.failure = messageOf(error);
      })
      .finally(() => {
        record.latencyMs = this.now() - record.startedMs;
        this.inFlight -= 1;
        this.pending.delete(done);
      });
    this.pending.add(done);
  }

  private get(agent: http.Agent, last: boolean): Promise<{ status: number; body: string }> {
    const { url, timeoutMs } = this.options;
    const headers = last ? { ...this.options.headers, connection: 'close' } : this.options.headers;
    return new Promise((resolve, reject) => {
      const request = http.get(url, { agent, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      });
      request.setTimeout(timeoutMs, () =>
        request.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      );
      request.on('error', reject);
    });
  }
}

export interface WindowSummary {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

/** The requests started in [fromMs, toMs): how many, how many failed, latency quantiles. */
export function summarize(records: RequestRecord[], fromMs: number, toMs: number): WindowSummary {
  const inWindow = records.filter((r) => r.startedMs >= fromMs && r.startedMs < toMs);
  const answered = inWindow
    .filter((r) => r.failure === undefined)
    .map((r) => r.latencyMs)
    .sort((a, b) => a - b);
  return {
    requests: inWindow.length,
    failed: inWindow.length - answered.length,
    p50Ms: quantile(answered, 0.5),
    p99Ms: quantile(answered, 0.99),
  };
}

/** Nearest-rank quantile of sorted values; NaN when there are none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

export interface Bucket {
  /** Seconds since the load started (the bucket's start). */
  second: number;
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

/** Per-bucket summaries over the whole load, for the curves. */
export function timeline(records: RequestRecord[], bucketSeconds: number): Bucket[] {
  const last = records.reduce((max, r) => Math.max(max, r.startedMs), 0);
  const buckets: Bucket[] = [];
  for (let from = 0; from <= last; from += bucketSeconds * 1000) {
    const summary = summarize(records, from, from + bucketSeconds * 1000);
    buckets.push({ second: from / 1000, ...summary });
  }
  return buckets;
}

/** The failures grouped by what went wrong, for a test failure's message. */
export function failureCounts(records: RequestRecord[], fromMs = 0, toMs = Infinity): string {
  const byWhat = new Map<string, number>();
  for (const { failure, startedMs } of records) {
    if (failure === undefined || startedMs < fromMs || startedMs >= toMs) continue;
    byWhat.set(failure, (byWhat.get(failure) ?? 0) + 1);
  }
  return [...byWhat].map(([what, count]) => `${count} x ${what}`).join('; ') || 'none';
}
