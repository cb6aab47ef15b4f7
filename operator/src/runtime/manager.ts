/**
 * Runs informers, controllers, leader election and the probe server as one unit, in
 * controller-runtime's order: the probe server and the caches start on every replica
 * (a standby keeps a warm cache), controllers start only on the leader once every cache
 * has synced, and shutdown drains the workers before releasing the lease.
 */
import type { Controller } from './controller.js';
import type { EventRecorder } from './events.js';
import type { RunnableCache } from './informer.js';
import type { KubeClient } from './kube-client.js';
import { LeaderElector, type LeaderElectionConfig } from './leader-election.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import { type ProbeServer, startProbeServer } from './probe-server.js';
import { sleep } from './sleep.js';

export interface ManagerOptions {
  client: KubeClient;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** 0 picks a free port (tests). */
  metricsPort: number;
  /** /healthz and /readyz; the same port as metrics serves all three. */
  healthPort: number;
  bindAddress?: string;
  /** The field manager of the Lease writes (the one the whole operator uses). */
  fieldManager: string;
  /** Records a LeaderElection Event on the Lease when this process starts leading. */
  events?: EventRecorder;
  /** Undefined: no election, this process leads (single replica, development). */
  leaderElection?: LeaderElectionConfig;
  /** Called when leadership is lost without a release: the process must exit. */
  onLeadershipLost: () => void;
}

/** Something that runs in the background until the manager stops it (e.g. a resolver). */
export interface Stoppable {
  stop(): Promise<void> | void;
}

export class Manager {
  private readonly informers: RunnableCache[] = [];
  private readonly stoppables: Stoppable[] = [];
  private readonly controllers: Controller[] = [];
  /** Aborted first on shutdown: no controller may start after it. */
  private readonly draining = new AbortController();
  /** Aborted once the controllers are drained: ends the election (releasing the lease). */
  private readonly stopping = new AbortController();
  private servers: ProbeServer[] = [];
  private election: Promise<void> | undefined;
  private controllersStarted = false;
  private readonly log: Logger;

  constructor(private readonly options: ManagerOptions) {
    this.log = options.logger.child({ component: 'manager' });
  }

  /** A cache started with the others, and waited for before the controllers start. */
  addInformer<C extends RunnableCache>(informer: C): C {
    this.informers.push(informer);
    return informer;
  }

  addController(controller: Controller): void {
    this.controllers.push(controller);
  }

  /** Stopped with the manager, after the controllers (nothing uses it any more). */
  addStoppable(stoppable: Stoppable): void {
    this.stoppables.push(stoppable);
  }

  /** The bound ports (useful when configured as 0). */
  get ports(): { metrics: number; health: number } {
    const [metrics, health] = this.servers;
    return { metrics: metrics?.port ?? 0, health: (health ?? metrics)?.port ?? 0 };
  }

  /** True while this process runs the controllers. */
  isLeading(): boolean {
    return this.controllersStarted;
  }

  async start(): Promise<void> {
    const { metricsPort, healthPort, bindAddress } = this.options;
    const registry = this.options.metrics.registry;
    const readiness = {
      'informers-synced': () => this.informers.every((informer) => informer.hasSynced()),
    };
    if (metricsPort !== 0 && metricsPort === healthPort) {
      this.servers = [
        await startProbeServer({ port: metricsPort, host: bindAddress, registry, readiness }),
      ];
    } else {
      this.servers = [
        await startProbeServer({ port: metricsPort, host: bindAddress, registry }),
        await startProbeServer({ port: healthPort, host: bindAddress, readiness }),
      ];
    }
    this.log.info('serving metrics and probes', this.ports);
    for (const informer of this.informers) informer.start();

    const election = this.options.leaderElection;
    if (!election) {
      this.options.metrics.leaderStatus.set({ name: 'none' }, 1);
      this.election = this.startControllers();
      return;
    }
    const elector = new LeaderElector(
      this.options.client,
      election,
      this.options.logger,
      this.options.fieldManager,
      this.options.metrics,
    );
    this.election = elector.run(this.stopping.signal, {
      onStartedLeading: () => {
        const lease = elector.currentLease();
        if (lease) {
          this.options.events?.record(
            lease,
            'Normal',
            'LeaderElection',
            'Lead',
            `${election.identity} became leader`,
          );
        }
        void this.startControllers();
      },
      onStoppedLeading: () => this.stopLeading(),
    });
  }

  /**
   * Leadership lost without a release: another replica may take over once the lease
   * expires, so from this moment nothing of ours may reach the API server. Writes in flight
   * are aborted and later ones refused, the workers take no further key, and the owner is
   * told (the process exits).
   */
  private stopLeading(): void {
    this.options.client.stopWriting('leadership lost');
    this.draining.abort();
    this.controllersStarted = false;
    for (const controller of this.controllers) void controller.stop();
    this.options.onLeadershipLost();
  }

  /** Drains the controllers, releases the lease, stops the caches and the server. */
  async stop(): Promise<void> {
    this.log.info('shutting down');
    this.draining.abort();
    await Promise.all(this.controllers.map((controller) => controller.stop()));
    this.controllersStarted = false;
    this.stopping.abort();
    await this.election;
    await Promise.all(this.stoppables.map((stoppable) => stoppable.stop()));
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await Promise.all(this.servers.map((server) => server.close()));
    await this.options.events?.flush();
    await this.options.client.close();
    this.log.info('stopped');
  }

  private async startControllers(): Promise<void> {
    const draining = this.draining.signal;
    while (!this.informers.every((informer) => informer.hasSynced())) {
      if (draining.aborted) return;
      await sleep(50, draining);
    }
    if (draining.aborted) return;
    for (const controller of this.controllers) controller.start();
    this.controllersStarted = true;
  }
}
