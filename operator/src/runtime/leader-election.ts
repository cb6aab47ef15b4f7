/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
 * - a lease is free when it has no holder, or when its record has not changed for
 *   leaseDuration as measured on OUR clock since we last saw it change (so clock skew
 *   between replicas does not matter);
 * - writes carry the resourceVersion they were based on, so two candidates never both win;
 * - a leader that cannot renew within renewDeadline stops leading (the caller exits), and
 *   each attempt is aborted at that deadline, so a slow API server cannot stretch it;
 * - on shutdown the leader releases the lease so a standby takes over at once.
 */
import type { KubernetesObject, V1LeaseSpec } from '@kubernetes/client-node';
import { type KubeClient, isConflict, isNotFound } from './kube-client.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import { leaseType } from './resources.js';
import { sleep } from './sleep.js';

export type LeaseDecision = 'acquire' | 'renew' | 'wait';

/**
 * A Lease's spec. client-node types its MicroTime fields as Date; read from the API server
 * (without client-node's deserializer) they are strings, and they are written as strings.
 */
export type LeaseRecord = Omit<V1LeaseSpec, 'acquireTime' | 'renewTime'> & {
  acquireTime?: Date | string;
  renewTime?: Date | string;
};

type Lease = KubernetesObject & { spec?: LeaseRecord };

/** The calls the elector makes on coordination.k8s.io/v1 leases (for RBAC). */
export const leaseVerbs = ['get', 'create', 'update'];

/** What a candidate should do with the lease record it observed. Pure. */
export function decideLease(
  spec: LeaseRecord | undefined,
  identity: string,
  observedAtMs: number,
  nowMs: number,
): LeaseDecision {
  const holder = spec?.holderIdentity;
  if (!holder) return 'acquire';
  if (holder === identity) return 'renew';
  const durationMs = (spec?.leaseDurationSeconds ?? 0) * 1000;
  return observedAtMs + durationMs <= nowMs ? 'acquire' : 'wait';
}

/** The record a candidate writes to take or keep the lease. Pure. */
export function leaseRecordFor(
  current: LeaseRecord | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: Date,
): LeaseRecord {
  const transitions = current?.leaseTransitions ?? 0;
  const keeping = current?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: keeping && current?.acquireTime ? current.acquireTime : now,
    renewTime: now,
    leaseTransitions: keeping || !current?.holderIdentity ? transitions : transitions + 1,
  };
}

/** The record a leader writes on shutdown: nobody holds it, and it expires in a second. */
export function releasedLeaseRecord(current: LeaseRecord | undefined, now: Date): LeaseRecord {
  return {
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: current?.leaseTransitions ?? 0,
  };
}

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Leadership was lost without being released; the process should exit. */
  onStoppedLeading(): void;
}

export class LeaderElector {
  private observed: { json: string; atMs: number } = { json: '', atMs: 0 };
  private lease: Lease | undefined;
  private leading = false;
  private readonly log: Logger;

  constructor(
    private readonly client: KubeClient,
    private readonly config: LeaderElectionConfig,
    logger: Logger,
    private readonly fieldManager: string,
    private readonly metrics?: RuntimeMetrics,
  ) {
    if (config.renewDeadlineMs >= config.leaseDurationMs) {
      throw new Error('leader election: renew deadline must be shorter than the lease duration');
    }
    if (config.retryPeriodMs >= config.renewDeadlineMs) {
      throw new Error('leader election: retry period must be shorter than the renew deadline');
    }
    this.log = logger.child({
      lease: `${config.namespace}/${config.name}`,
      identity: config.identity,
    });
  }

  /** The Lease as last written by this process. */
  currentLease(): Lease | undefined {
    return this.lease;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns, then renews, until `signal` aborts (then releases) or leadership is lost.
   *
   * Leadership ends at the renew deadline counted from the start of the last successful
   * renewal, whatever the API server does: every attempt is aborted when the deadline
   * comes (a renewal the server is still holding cannot extend it), so the callback runs
   * before any other replica can see the lease expire (leaseDuration > renewDeadline,
   * counted from when it observes that same renewal, which is later). Stopping lets an
   * attempt in flight finish (never past its deadline), so the release writes over the
   * latest record.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    this.metrics?.leaderStatus.set({ name: this.config.name }, 0);
    let renewedAt = 0;
    while (!signal.aborted) {
      const attemptStartedAt = Date.now();
      if (await this.tryAcquireOrRenew(AbortSignal.timeout(this.config.renewDeadlineMs))) {
        renewedAt = attemptStartedAt;
        break;
      }
      await sleep(jittered(this.config.retryPeriodMs), signal);
    }
    if (signal.aborted) return;
    this.leading = true;
    this.metrics?.leaderStatus.set({ name: this.config.name }, 1);
    this.log.info('became leader');
    callbacks.onStartedLeading();

    for (;;) {
      const deadline = renewedAt + this.config.renewDeadlineMs;
      await sleep(Math.min(this.config.retryPeriodMs, deadline - Date.now()), signal);
      if (signal.aborted) break;
      const attemptStartedAt = Date.now();
      if (attemptStartedAt < deadline) {
        const attempt = AbortSignal.timeout(deadline - attemptStartedAt);
        if ((await this.tryAcquireOrRenew(attempt)) && Date.now() < deadline) {
          renewedAt = attemptStartedAt;
          continue;
        }
      }
      if (signal.aborted) break;
      if (Date.now() < deadline) continue;
      this.leading = false;
      this.metrics?.leaderStatus.set({ name: this.config.name }, 0);
      this.log.error('failed to renew the lease within the renew deadline: leadership lost', {
        renewDeadlineMs: this.config.renewDeadlineMs,
      });
      callbacks.onStoppedLeading();
      return;
    }
    await this.release();
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    try {
      // Fast path: the leader renews from its own last write, without reading first.
      if (this.leading && this.lease) {
        try {
          this.lease = await this.write(
            this.lease,
            leaseRecordFor(this.lease.spec, this.config.identity, this.durationSeconds(), now),
            signal,
          );
          return true;
        } catch (err) {
          if (!isConflict(err)) throw err;
        }
      }
      const current = await this.client.getIfExists<Lease>(
        leaseType,
        this.config.namespace,
        this.config.name,
        { signal },
      );
      if (!current) {
        this.lease = await this.client.create<Lease>(
          leaseType,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.config.name, namespace: this.config.namespace },
            spec: leaseSpecOnTheWire(
              leaseRecordFor(undefined, this.config.identity, this.durationSeconds(), now),
            ),
          },
          this.fieldManager,
          { signal },
        );
        return true;
      }
      this.observe(current.spec);
      if (
        decideLease(current.spec, this.config.identity, this.observed.atMs, Date.now()) === 'wait'
      )
        return false;
      this.lease = await this.write(
        current,
        leaseRecordFor(current.spec, this.config.identity, this.durationSeconds(), now),
        signal,
      );
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      this.log.warn(
        signal.aborted ? 'lease update abandoned at its deadline' : 'lease update failed',
        {
          err,
        },
      );
      return false;
    }
  }

  private async release(): Promise<void> {
    if (!this.leading || !this.lease) return;
    this.leading = false;
    this.metrics?.leaderStatus.set({ name: this.config.name }, 0);
    try {
      await this.write(
        this.lease,
        releasedLeaseRecord(this.lease.spec, new Date()),
        AbortSignal.timeout(this.config.renewDeadlineMs),
      );
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('could not release the lease; a standby takes over when it expires', { err });
    }
  }

  private write(base: Lease, spec: LeaseRecord, signal: AbortSignal): Promise<Lease> {
    return this.client.replace<Lease>(
      leaseType,
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: base.metadata,
        spec: leaseSpecOnTheWire(spec),
      },
      this.fieldManager,
      { signal },
    );
  }

  /** Remembers when (on our clock) the record last changed. */
  private observe(spec: LeaseRecord | undefined): void {
    const json = JSON.stringify(spec ?? {});
    if (json !== this.observed.json) this.observed = { json, atMs: Date.now() };
  }

  private durationSeconds(): number {
    return Math.max(1, Math.ceil(this.config.leaseDurationMs / 1000));
  }
}

/** The spec as the API server parses it: MicroTime fields in RFC 3339 with exactly six fractional digits. */
export function leaseSpecOnTheWire(spec: LeaseRecord): LeaseRecord {
  const micro = (value: Date | string | undefined) =>
    value === undefined
      ? undefined
      : new Date(value).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  return {
    ...spec,
    acquireTime: micro(spec.acquireTime),
    renewTime: micro(spec.renewTime),
  };
}

function jittered(ms: number): number {
  return ms * (1 + 0.2 * Math.random());
}
