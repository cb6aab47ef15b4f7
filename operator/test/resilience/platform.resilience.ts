// The business needs proven on real pods of a three-zone cluster (`make resilience-e2e`,
// README "Resilience"): a 4x peak absorbed by the autoscaler, the loss of a zone, a node
// drain, a minute without the database, the death of the operator's leader, and the alerts
// and dashboard panels that say so, seen on Prometheus' own API. All under one continuous
// keep-alive load on prod that records every request (recorder.ts); the curves are written
// as SVG next to docs/benchmarks.md (RESILIENCE_RESULTS_DIR, default
// docs/benchmarks/resilience) and each measured figure is printed as an
// `E2E-METRIC resilience-…` line.
//
// The phases run in order on the same load. Alerts that must hold for minutes before they
// fire are started first, on the test environment, and checked after the phases that fill
// that time.
//
// Sized for a small shared machine: prod's CPU request is lowered to RESILIENCE_CPU_REQUEST
// (default 50m, restored afterwards) so that a steady load this machine can serve keeps
// prod's three pods near the autoscaler's target and four times that load is a peak the
// autoscaler must answer; the requests-to-CPU ratio is what a real cluster has, at 1/5 of
// the scale. Variables: E2E_BROKEN_IMAGE (make resilience-e2e sets it);
// RESILIENCE_STEADY_RPS (default 8 requests per second; the peak is four times that);
// RESILIENCE_CPU_REQUEST.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  appPods,
  imageFromEnv,
  instanceIn,
  kubectl,
  metric,
  namespaceOf,
  operatorNamespace,
  patchSpec,
  serviceUrl,
  step,
  waitFor,
  waitSettled,
} from '../e2e/cluster.js';
import { newUserWithNote, notesPageCheck } from '../e2e/notejam-client.js';
import {
  activeTargets,
  alerts,
  databaseNamespace,
  isReady,
  killPodProcesses,
  nodes,
  operatorLease,
  operatorPods,
  power,
  prometheusUrl,
  sampleReplicas,
  scaleDatabase,
  zoneLabel,
  zonesByNode,
  type Alert,
  type ReplicaSample,
} from './cluster-state.js';
import {
  RecordedLoad,
  failureCounts,
  summarize,
  timeline,
  type WindowSummary,
} from './recorder.js';
import { lineChart } from './svg-chart.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const resultsDir =
  process.env.RESILIENCE_RESULTS_DIR ?? join(repoRoot, 'docs/benchmarks/resilience');
const steadyRate = Number(process.env.RESILIENCE_STEADY_RPS ?? 8);
const cpuRequest = process.env.RESILIENCE_CPU_REQUEST ?? '50m';
const prod = namespaceOf('prod');
const test = namespaceOf('test');
const dev = namespaceOf('dev');
const appJob = 'notejam'; // the prod instance's Service, the job of its ServiceMonitor
const operatorJob = 'notejam-operator-metrics';

let prometheus: string;
let load: RecordedLoad;
let sampler: ReturnType<typeof sampleReplicas>;
const markers: { at: number; label: string }[] = [];
const results: Record<string, unknown> = { steadyRate, cpuRequest };
let prodCpuRequestBefore: string | undefined;
let testSpecBefore: { image: string; autoscaling?: unknown };

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const mark = (label: string) => markers.push({ at: load.now() / 1000, label });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeWindow(name: string, summary: WindowSummary): string {
  return `${name}-requests=${summary.requests} ${name}-failed=${summary.failed} ${name}-p50-ms=${summary.p50Ms} ${name}-p99-ms=${summary.p99Ms}`;
}

/** Waits until an alert with these labels is in `state` (or gone, for 'resolved'). */
async function waitForAlert(
  name: string,
  labels: Record<string, string>,
  state: 'firing' | 'resolved',
  timeoutMs: number,
): Promise<Alert | undefined> {
  const matches = (alert: Alert) =>
    alert.labels.alertname === name &&
    Object.entries(labels).every(([key, value]) => alert.labels[key] === value);
  let found: Alert | undefined;
  await waitFor(
    `${name} ${JSON.stringify(labels)} to be ${state}`,
    async () => {
      found = (await alerts(prometheus)).find(matches);
      if (state === 'resolved') return found ? undefined : true;
      return found?.state === 'firing' ? true : undefined;
    },
    { timeoutMs, intervalMs: 5000 },
  );
  return found;
}

/** Ready prod pods, from the sampler's latest sample. */
function latestSample(): ReplicaSample | undefined {
  return sampler.samples[sampler.samples.length - 1];
}

describe('three zones under load', () => {
  beforeAll(
    async () => {
      await step('the cluster has three zones', [], async () => {
        const ready = (await nodes()).filter(isReady);
        const zones = new Set(
          ready.map((node) => node.metadata.labels?.[zoneLabel]).filter(Boolean),
        );
        if (zones.size < 3) {
          throw new Error(
            `the resilience suite needs Ready nodes in three zones (${zoneLabel}); this cluster has ${zones.size}: ` +
              'LOCAL_CLUSTER_NODES=3 make local-cluster-up',
          );
        }
      });
      prometheus = await step('Prometheus answers', [], async () => {
        const url = await prometheusUrl();
        await fetch(`${url}/-/ready`).then((r) => expect(r.status).toBe(200));
        return url;
      });
      const baseUrl = await step(`prod at a CPU request of ${cpuRequest}`, [prod], async () => {
        const before = (await instanceIn(prod)) as unknown as {
          spec: { resources?: { requests?: { cpu?: string } } };
        };
        prodCpuRequestBefore = before.spec.resources?.requests?.cpu;
        await patchSpec(prod, { resources: { requests: { cpu: cpuRequest } } });
        await waitSettled(prod);
        return serviceUrl(prod);
      });
      const user = await newUserWithNote(baseUrl, 'resilience');
      load = new RecordedLoad({
        url: `${baseUrl}/`,
        headers: { cookie: user.client.cookieHeader() },
        rate: steadyRate,
        timeoutMs: 10_000,
        maxInFlight: 200,
        clients: 16,
        requestsPerConnection: 20,
        check: notesPageCheck(user),
      });
      sampler = sampleReplicas(prod, (await instanceIn(prod)).metadata.name, () => load.now());
    },
    10 * 60 * 1000,
  );

  afterAll(
    async () => {
      // The curves and figures are written whatever happened: a failure is explained by them.
      const records = load ? await load.stop() : [];
      await sampler?.stop();
      if (prodCpuRequestBefore) {
        await patchSpec(prod, { resources: { requests: { cpu: prodCpuRequestBefore } } });
      }
      if (records.length === 0) return;
      mkdirSync(resultsDir, { recursive: true });
      const buckets = timeline(records, 10);
      const samples = sampler.samples;
      writeFileSync(
        join(resultsDir, 'replicas-and-latency.svg'),
        lineChart({
          title: `prod under load: ${steadyRate} req/s steady, ${4 * steadyRate} req/s at the peak`,
          leftLabel: 'replicas',
          rightLabel: 'latency (ms, per 10 s)',
          markers,
          series: [
            {
              name: 'ready pods',
              color: '#2a7',
              axis: 'left',
              points: samples.map((s) => [s.atMs / 1000, s.ready]),
            },
            {
              name: 'autoscaler desired',
              color: '#27c',
              axis: 'left',
              points: samples.map((s) => [s.atMs / 1000, s.desired]),
            },
            {
              name: 'p99',
              color: '#d33',
              axis: 'right',
              points: buckets.map((b) => [b.second, b.p99Ms]),
            },
            {
              name: 'p50',
              color: '#e90',
              axis: 'right',
              points: buckets.map((b) => [b.second, b.p50Ms]),
            },
          ],
        }),
      );
      writeFileSync(
        join(resultsDir, 'requests.svg'),
        lineChart({
          title: 'requests started and failed per 10 s',
          leftLabel: 'requests per 10 s',
          markers,
          series: [
            {
              name: 'started',
              color: '#27c',
              axis: 'left',
              points: buckets.map((b) => [b.second, b.requests]),
            },
            {
              name: 'failed',
              color: '#d33',
              axis: 'left',
              points: buckets.map((b) => [b.second, b.failed]),
            },
          ],
        }),
      );
      const zones = [...new Set(samples.flatMap((s) => Object.keys(s.readyByZone)))].sort();
      const colors = ['#2a7', '#27c', '#e90', '#999'];
      writeFileSync(
        join(resultsDir, 'pods-by-zone.svg'),
        lineChart({
          title: 'ready prod pods per zone',
          leftLabel: 'ready pods',
          markers,
          series: zones.map((zone, index) => ({
            name: zone,
            color: colors[index % colors.length] as string,
            axis: 'left' as const,
            points: samples.map(
              (s) => [s.atMs / 1000, s.readyByZone[zone] ?? 0] as [number, number],
            ),
          })),
        }),
      );
      results.replicaSamples = samples;
      results.totalRequests = records.length;
      results.totalFailed = records.filter((r) => r.failure !== undefined).length;
      results.markers = markers;
      writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    },
    5 * 60 * 1000,
  );

  it('scrapes every prod pod and both operator replicas', async () => {
    await step('targets up', [prod, operatorNamespace], () =>
      waitFor(
        'a target up for every prod pod and operator replica',
        async () => {
          const targets = await activeTargets(prometheus);
          const up = (job: string) =>
            targets.filter((t) => t.labels.job === job && t.health === 'up').length;
          const prodPods = (latestSample()?.ready ?? 0) || 3;
          return up(appJob) >= prodPods && up(operatorJob) === 2 ? true : undefined;
        },
        { timeoutMs: 3 * 60 * 1000, intervalMs: 5000 },
      ),
    );
  });

  it('starts what two alerts wait for: test at its autoscaler ceiling, test migrating a broken release', async () => {
    await step('test: autoscaler pinned at 2, broken image', [test], async () => {
      const instance = (await instanceIn(test)) as unknown as {
        spec: { image: string; autoscaling?: unknown };
      };
      testSpecBefore = { image: instance.spec.image, autoscaling: instance.spec.autoscaling };
      await patchSpec(test, {
        image: imageFromEnv('E2E_BROKEN_IMAGE'),
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 2 },
      });
    });
    results.alertsStartedAtSeconds = load.now() / 1000;
    mark('test broken');
  });

  it('absorbs a 4x peak: the autoscaler scales out, then in, and no request fails', async () => {
    const minReplicas = 3;
    await step('steady load', [prod], () => sleep(60_000));
    const hpa = (await instanceIn(prod)).metadata.name;
    const utilization = Number(
      await kubectl([
        '-n',
        prod,
        'get',
        'hpa',
        hpa,
        '-o',
        'jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}',
      ]),
    );
    results.steadyCpuUtilizationPercent = utilization;
    // Four times the steady load must take the pods past the target (70 %, with the
    // autoscaler's 10 % tolerance), or the peak proves nothing: say so now, not after minutes.
    // A pod's CPU is not proportional to its requests (probes, scrapes and the runtime cost
    // a share at any rate, about 7m per pod here), so the steady load must already use half
    // the target: at 29 % a 4x peak stayed under it. Lowering the request instead left that
    // share above what lets the autoscaler scale back in (8 pods at 4 requests per second).
    expect({ steadyUtilization: utilization, peakAboveTarget: utilization >= 35 }).toEqual({
      steadyUtilization: utilization,
      peakAboveTarget: true,
    });
    const peakStart = load.now();
    // Scale-out is measured from the size at the peak's start (an earlier phase or run may
    // have left more than the minimum).
    const sizeAtPeakStart = Math.max(minReplicas, latestSample()?.desired ?? minReplicas);
    mark('4x peak');
    load.setRate(4 * steadyRate);
    const scaledOut = await step('prod scales out at the peak', [prod], () =>
      waitFor(
        'more ready pods than the minimum, as many as the autoscaler wants',
        async () => {
          const s = latestSample();
          return s && s.desired > sizeAtPeakStart && s.ready >= s.desired ? s : undefined;
        },
        { timeoutMs: 6 * 60 * 1000, intervalMs: 1000 },
      ),
    );
    const scaleOutMs = scaledOut.atMs - peakStart;
    // The peak lasts a few minutes more at whatever size the autoscaler settles on.
    await sleep(120_000);
    const peakEnd = load.now();
    mark('peak over');
    load.setRate(steadyRate);
    const scaledIn = await step('prod scales back in after the peak', [prod], () =>
      waitFor(
        'the autoscaler back at its size before the peak',
        async () => {
          const s = latestSample();
          return s && s.desired <= sizeAtPeakStart && s.ready === s.desired ? s : undefined;
        },
        { timeoutMs: 10 * 60 * 1000, intervalMs: 2000 },
      ),
    );
    await sleep(60_000);
    const after = load.now();
    const before = summarize(load.records, peakStart - 60_000, peakStart);
    const during = summarize(load.records, peakStart, peakEnd);
    const afterPeak = summarize(load.records, scaledIn.atMs, after);
    const all = summarize(load.records, peakStart - 60_000, after);
    const maxReplicas = Math.max(...sampler.samples.map((s) => s.ready));
    results.peak = {
      scaleOutSeconds: seconds(scaleOutMs),
      scaleInSecondsAfterPeak: seconds(scaledIn.atMs - peakEnd),
      maxReadyPods: maxReplicas,
      before,
      during,
      after: afterPeak,
      failed: all.failed,
    };
    metric(
      `resilience-peak steady-rps=${steadyRate} peak-rps=${4 * steadyRate} scale-out-seconds=${seconds(scaleOutMs)} ` +
        `scale-in-seconds=${seconds(scaledIn.atMs - peakEnd)} max-ready-pods=${maxReplicas} failed=${all.failed} ` +
        `${describeWindow('before', before)} ${describeWindow('during', during)} ${describeWindow('after', afterPeak)}`,
    );
    expect({
      failed: all.failed,
      why: failureCounts(load.records, peakStart - 60_000, after),
    }).toEqual({
      failed: 0,
      why: 'none',
    });
  });

  it('raises NotejamMigrationFailed and NotejamInstanceDegraded for the broken migration, and resolves them', async () => {
    const labels = { namespace: test };
    await step('alerts firing', [test], async () => {
      await waitForAlert('NotejamMigrationFailed', labels, 'firing', 5 * 60 * 1000);
      await waitForAlert('NotejamInstanceDegraded', labels, 'firing', 8 * 60 * 1000);
    });
    results.migrationAlertsFiringAfterSeconds =
      load.now() / 1000 - (results.alertsStartedAtSeconds as number);
    await step('test: the working image back', [test], () =>
      patchSpec(test, { image: testSpecBefore.image }),
    );
    mark('test fixed');
    const fixedAt = load.now();
    await step('alerts resolved', [test], async () => {
      await waitForAlert('NotejamMigrationFailed', labels, 'resolved', 5 * 60 * 1000);
      await waitForAlert('NotejamInstanceDegraded', labels, 'resolved', 5 * 60 * 1000);
    });
    results.migrationAlertsResolvedAfterSeconds = seconds(load.now() - fixedAt);
    metric(
      `resilience-alerts-migration firing-after-seconds=${Math.round(results.migrationAlertsFiringAfterSeconds as number)} ` +
        `resolved-after-seconds=${results.migrationAlertsResolvedAfterSeconds}`,
    );
  });

  it('loses a zone: prod keeps serving and is back to full capacity in the other zones', async () => {
    const zones = await zonesByNode();
    const first = (await nodes()).map((n) => n.metadata.name).sort()[0];
    // A zone without the database, the monitoring and the registry (all on the first node).
    const victim = [...zones.keys()]
      .filter((name) => name !== first)
      .sort()
      .pop() as string;
    const lostZone = zones.get(victim) as string;
    const desired = latestSample()?.desired ?? 3;
    const podsInZone = latestSample()?.readyByZone[lostZone] ?? 0;
    const cut = load.now();
    mark(`${lostZone} lost`);
    await step(`power off ${victim}`, [prod], () => power(victim, 'off'));
    const recovered = await step('prod back to full capacity in the other zones', [prod], () =>
      waitFor(
        `${desired} ready prod pods outside ${lostZone}`,
        async () => {
          const s = latestSample();
          if (!s || s.atMs <= cut) return undefined;
          const outside = s.ready - (s.readyByZone[lostZone] ?? 0);
          return outside >= desired && !s.readyByZone[lostZone] ? s : undefined;
        },
        { timeoutMs: 10 * 60 * 1000, intervalMs: 1000 },
      ),
    );
    await sleep(30_000);
    const window = summarize(load.records, cut, load.now());
    results.zoneLoss = {
      node: victim,
      zone: lostZone,
      podsInZone,
      fullCapacitySeconds: seconds(recovered.atMs - cut),
      ...window,
      failures: failureCounts(load.records, cut, load.now()),
    };
    metric(
      `resilience-zone-loss zone=${lostZone} pods-lost=${podsInZone} full-capacity-seconds=${seconds(recovered.atMs - cut)} ` +
        describeWindow('window', window),
    );
    await step(`power on ${victim}`, [], async () => {
      await power(victim, 'on');
      await waitFor(`${victim} Ready`, async () =>
        (await nodes()).some((n) => n.metadata.name === victim && isReady(n)) ? true : undefined,
      );
    });
    mark(`${lostZone} back`);
    // Most requests are served: the lost zone's share fails until its endpoints are dropped.
    expect(window.failed).toBeLessThan(window.requests / 2);
  });

  it('drains a node: the disruption budget holds and no request fails', async () => {
    const first = (await nodes()).map((n) => n.metadata.name).sort()[0] as string;
    const zones = await zonesByNode();
    const node = [...zones.keys()].filter((name) => name !== first).sort()[0] as string;
    const minAvailable = 2;
    await step('prod settled before the drain', [prod], () => waitSettled(prod));
    const started = load.now();
    mark(`drain ${zones.get(node)}`);
    let lowest = Infinity;
    const watch = setInterval(() => {
      const s = latestSample();
      if (s && s.atMs > started) lowest = Math.min(lowest, s.ready);
    }, 500);
    try {
      await step(`kubectl drain ${node}`, [prod], () =>
        kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=10m']),
      );
      await step('prod back at its size', [prod], () => waitSettled(prod));
      await sleep(15_000);
    } finally {
      clearInterval(watch);
      await kubectl(['uncordon', node]);
    }
    const window = summarize(load.records, started, load.now());
    results.drain = {
      node,
      lowestReadyPods: lowest,
      seconds: seconds(load.now() - started),
      ...window,
    };
    metric(
      `resilience-drain node=${node} lowest-ready-pods=${lowest} seconds=${seconds(load.now() - started)} ` +
        describeWindow('window', window),
    );
    expect(lowest).toBeGreaterThanOrEqual(minAvailable);
    expect({
      failed: window.failed,
      why: failureCounts(load.records, started, load.now()),
    }).toEqual({
      failed: 0,
      why: 'none',
    });
  });

  it('rides out a minute without its database: prod fails fast, recovers by itself, and the error panels show it', async () => {
    await step('prod settled before the outage', [prod], () => waitSettled(prod));
    const restartsOf = async () =>
      new Map(
        (await appPods(prod)).map((pod) => [
          pod.metadata.name,
          (pod.status.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0),
        ]),
      );
    const restartsBefore = await restartsOf();
    // A minute: as long as a managed database's failover takes, and two scrape intervals, so
    // that Prometheus sees the failing probes' counter grow (a series' first sample is no
    // increase to rate()).
    const outageMs = 60_000;
    mark('database stopped');
    const stoppedAt = load.now();
    try {
      await step('MariaDB stopped', [databaseNamespace], () => scaleDatabase(0));
      await sleep(Math.max(0, outageMs - (load.now() - stoppedAt)));
    } finally {
      mark('database started');
      await step('MariaDB started and Ready', [databaseNamespace], () => scaleDatabase(1));
    }
    const databaseBack = load.now();
    // Recovered: every request of a stretch after the database's return answered (requests
    // started 25 to 10 s ago have all ended, their timeout being 10 s).
    await step('prod answers again without a failure', [prod], () =>
      waitFor(
        'prod to answer 15 s of requests without a failure',
        async () => {
          const now = load.now();
          if (now - 25_000 < databaseBack) return undefined;
          const quiet = summarize(load.records, now - 25_000, now - 10_000);
          return quiet.requests > 0 && quiet.failed === 0 ? true : undefined;
        },
        { timeoutMs: 5 * 60 * 1000, intervalMs: 2000 },
      ),
    );
    const window = summarize(load.records, stoppedAt, load.now());
    const failedStarts = load.records
      .filter((r) => r.startedMs >= stoppedAt && r.failure !== undefined)
      .map((r) => r.startedMs);
    const lastFailureAfterBack = failedStarts.length
      ? seconds(Math.max(...failedStarts) - databaseBack)
      : 0;
    // The Notejam dashboard's error panels for prod over the outage. Failing probes and
    // database calls last the whole minute: they must show. The 5xx last only until the
    // failing probes take the pods out of the Service (about 10 s), often within one scrape
    // interval, where rate() cannot see a new series' first increase: recorded, not required.
    const mustShow = ['Readiness failures', 'Database errors (MySQL)'];
    const recorded = ['Server errors by route', 'Error ratio by route (5xx)'];
    const json = dashboard('notejam.json');
    const peaksOver = async (): Promise<Record<string, number>> => {
      const end = Date.now() / 1000;
      const start = end - (load.now() - stoppedAt) / 1000 - 60;
      const values = { ...(await variableValues(json, start, end)), namespace: prod };
      const peaks: Record<string, number> = {};
      for (const title of [...mustShow, ...recorded]) {
        const panel = json.panels.find((p) => p.title === title);
        if (!panel) throw new Error(`notejam.json has no panel "${title}"`);
        for (const target of panel.targets ?? []) {
          const result = await queryRange(substitute(target.expr, values), start, end);
          if (typeof result === 'string') throw new Error(`${title}: ${result}`);
          const peak = Math.max(0, ...result.flatMap((r) => r.values.map(([, v]) => Number(v))));
          peaks[title] = Math.max(peaks[title] ?? 0, peak);
        }
      }
      return peaks;
    };
    const panelPeaks = await step('the error panels show the outage', [], () =>
      waitFor(
        `${mustShow.join(' and ')} above 0 for prod`,
        async () => {
          const peaks = await peaksOver();
          return mustShow.every((title) => (peaks[title] ?? 0) > 0) ? peaks : undefined;
        },
        { timeoutMs: 3 * 60 * 1000, intervalMs: 10_000 },
      ),
    );
    const restartsAfter = await restartsOf();
    const restarted = [...restartsBefore].filter(
      ([pod, count]) => (restartsAfter.get(pod) ?? count) > count,
    );
    results.databaseOutage = {
      outageSeconds: seconds(databaseBack - stoppedAt),
      lastFailureSecondsAfterDatabaseBack: lastFailureAfterBack,
      ...window,
      failures: failureCounts(load.records, stoppedAt, load.now()),
      panelPeaks,
      appPodsRestarted: restarted.map(([pod]) => pod),
    };
    metric(
      `resilience-database-outage outage-seconds=${seconds(databaseBack - stoppedAt)} ` +
        `last-failure-after-back-seconds=${lastFailureAfterBack} ${describeWindow('window', window)}`,
    );
    // The app rides it out: no pod restarted (liveness does not depend on the database).
    expect(restarted).toEqual([]);
  });

  it('raises NotejamHPAAtMaxReplicas for test at its ceiling, and resolves it once lifted', async () => {
    const labels = { namespace: test };
    await step('alert firing', [test], () =>
      waitForAlert('NotejamHPAAtMaxReplicas', labels, 'firing', 20 * 60 * 1000),
    );
    results.hpaAlertFiringAfterSeconds = Math.round(
      load.now() / 1000 - (results.alertsStartedAtSeconds as number),
    );
    await step('test: its own replica count back', [test], async () => {
      const { name } = (await instanceIn(test)).metadata;
      const restore =
        testSpecBefore.autoscaling === undefined
          ? [{ op: 'remove', path: '/spec/autoscaling' }]
          : [{ op: 'replace', path: '/spec/autoscaling', value: testSpecBefore.autoscaling }];
      await kubectl([
        '-n',
        test,
        'patch',
        'notejaminstance',
        name,
        '--type=json',
        '-p',
        JSON.stringify(restore),
      ]);
    });
    const lifted = load.now();
    await step('alert resolved', [test], () =>
      waitForAlert('NotejamHPAAtMaxReplicas', labels, 'resolved', 5 * 60 * 1000),
    );
    metric(
      `resilience-alerts-hpa firing-after-seconds=${results.hpaAlertFiringAfterSeconds} resolved-after-seconds=${seconds(load.now() - lifted)}`,
    );
  });

  it('hands over to the standby within the lease duration when the leader dies with a change pending', async () => {
    const lease = await operatorLease();
    const leader = lease.spec.holderIdentity as string;
    const duration = lease.spec.leaseDurationSeconds ?? 15;
    const pods = await operatorPods();
    const leaderPod = pods.find((pod) => pod.metadata.name === leader);
    expect(leaderPod).toBeDefined();
    const before = await instanceIn(dev);
    const logLevel =
      (before as unknown as { spec: { logLevel?: string } }).spec.logLevel === 'debug'
        ? 'info'
        : 'debug';
    mark('leader killed');
    // Killed, then its pod object removed at once: the kubelet must not restart it under the
    // same name, which is its identity (a restarted leader renews its own lease at once; that
    // recovery is the common case, but here the standby must take over, as after a node loss).
    const killedAt = await killPodProcesses(leaderPod!.metadata.uid);
    await kubectl([
      '-n',
      operatorNamespace,
      'delete',
      'pod',
      leader,
      '--grace-period=0',
      '--force',
      '--wait=false',
    ]);
    await patchSpec(dev, { logLevel });
    const generation = (await instanceIn(dev)).metadata.generation;
    const takeover = await step('the standby takes the lease', [operatorNamespace], () =>
      waitFor(
        'another holder of the lease',
        async () => {
          const current = await operatorLease();
          return current.spec.holderIdentity && current.spec.holderIdentity !== leader
            ? { at: Date.now(), holder: current.spec.holderIdentity }
            : undefined;
        },
        { timeoutMs: 3 * duration * 1000, intervalMs: 250 },
      ),
    );
    const applied = await step(
      'the new leader applies the pending change',
      [dev, operatorNamespace],
      () =>
        waitFor(
          'dev to observe the new generation',
          async () => {
            const instance = await instanceIn(dev);
            return (instance.status?.observedGeneration ?? 0) >= generation
              ? Date.now()
              : undefined;
          },
          { timeoutMs: 3 * 60 * 1000, intervalMs: 250 },
        ),
    );
    const takeoverSeconds = seconds(takeover.at - killedAt);
    results.leaderLoss = {
      oldLeader: leader,
      newLeader: takeover.holder,
      leaseDurationSeconds: duration,
      takeoverSeconds,
      changeAppliedSeconds: seconds(applied - killedAt),
    };
    metric(
      `resilience-leader-loss lease-duration-seconds=${duration} takeover-seconds=${takeoverSeconds} ` +
        `change-applied-seconds=${seconds(applied - killedAt)}`,
    );
    // The lease expires at most `duration` after the last renewal before the kill; the
    // standby tries every retry period (2 s) on top.
    expect(takeoverSeconds).toBeLessThanOrEqual(duration + 2);
    await step('dev settled with the change', [dev], () => waitSettled(dev));
  });

  it('raises NotejamOperatorDown while no operator runs, and resolves it', async () => {
    const deployment = (
      await kubectl([
        '-n',
        operatorNamespace,
        'get',
        'deployment',
        '-l',
        'app.kubernetes.io/name=notejam-operator',
        '-o',
        'name',
      ])
    ).trim();
    const replicas = Number(
      await kubectl([
        '-n',
        operatorNamespace,
        'get',
        deployment,
        '-o',
        'jsonpath={.spec.replicas}',
      ]),
    );
    mark('operator stopped');
    const stopped = load.now();
    await kubectl(['-n', operatorNamespace, 'scale', deployment, '--replicas=0']);
    try {
      await step('alert firing', [operatorNamespace], () =>
        waitForAlert('NotejamOperatorDown', {}, 'firing', 10 * 60 * 1000),
      );
    } finally {
      await kubectl(['-n', operatorNamespace, 'scale', deployment, `--replicas=${replicas}`]);
    }
    const firingAfter = seconds(load.now() - stopped);
    mark('operator back');
    const back = load.now();
    await step('alert resolved', [operatorNamespace], () =>
      waitForAlert('NotejamOperatorDown', {}, 'resolved', 5 * 60 * 1000),
    );
    metric(
      `resilience-alerts-operator-down firing-after-seconds=${firingAfter} resolved-after-seconds=${seconds(load.now() - back)}`,
    );
  });

  it('answers every dashboard panel query with data', async () => {
    const end = Date.now() / 1000;
    const start = end - load.now() / 1000;
    const empty: string[] = [];
    for (const file of ['notejam.json', 'notejam-operator.json']) {
      const json = dashboard(file);
      const values = await variableValues(json, start, end);
      for (const panel of json.panels) {
        for (const target of panel.targets ?? []) {
          const expr = substitute(target.expr, values);
          const result = await queryRange(expr, start, end);
          if (typeof result === 'string')
            empty.push(`${file} "${panel.title}": ${result}: ${expr}`);
          else if (result.length === 0) empty.push(`${file} "${panel.title}": no data: ${expr}`);
        }
      }
    }
    expect(empty).toEqual([]);
  });
});

interface DashboardJson {
  templating: {
    list: {
      name: string;
      type: string;
      includeAll?: boolean;
      allValue?: string;
      definition?: string;
    }[];
  };
  panels: { title: string; targets?: { expr: string }[] }[];
}

/** A dashboard of config/monitoring/dashboards as shipped. */
function dashboard(file: string): DashboardJson {
  return JSON.parse(
    readFileSync(join(repoRoot, 'config/monitoring/dashboards', file), 'utf8'),
  ) as DashboardJson;
}

/** The dashboard's variables as Grafana sets them by default: the first value, or All. */
async function variableValues(
  json: DashboardJson,
  start: number,
  end: number,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {
    __rate_interval: '2m',
    __range: `${Math.ceil(end - start)}s`,
  };
  for (const variable of json.templating.list.filter((v) => v.type === 'query')) {
    if (variable.includeAll) {
      values[variable.name] = variable.allValue ?? '.*';
      continue;
    }
    const [, selector, label] =
      /^label_values\((.+),\s*(\w+)\)$/.exec(variable.definition ?? '') ?? [];
    if (!selector || !label) throw new Error(`unexpected variable query: ${variable.definition}`);
    const series = await fetch(
      `${prometheus}/api/v1/series?match[]=${encodeURIComponent(substitute(selector, values))}&start=${start}&end=${end}`,
    ).then((r) => r.json() as Promise<{ data: Record<string, string>[] }>);
    values[variable.name] = [...new Set(series.data.map((s) => s[label]))].sort()[0] ?? '';
  }
  return values;
}

/** A range query every 30 s: its series' values, or Prometheus' error. */
async function queryRange(
  expr: string,
  start: number,
  end: number,
): Promise<{ values: [number, string][] }[] | string> {
  const response = await fetch(
    `${prometheus}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=30`,
  ).then(
    (r) =>
      r.json() as Promise<{
        status: string;
        error?: string;
        data?: { result: { values: [number, string][] }[] };
      }>,
  );
  return response.status === 'success' ? response.data!.result : (response.error ?? 'failed');
}

/** Grafana's `$name` and `${name}` variables replaced by their values. */
function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string, plain: string) => values[braced ?? plain] ?? whole,
  );
}
