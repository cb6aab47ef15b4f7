// The end-to-end suite's view of the cluster: kubectl on the current kube context, the
// NotejamInstance of each environment, and HTTP access to it through a port-forward.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export type Environment = 'dev' | 'test' | 'prod';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface Instance {
  metadata: { name: string; namespace: string; generation: number };
  spec: { image: string };
  status?: {
    observedGeneration?: number;
    phase?: string;
    deployedImage?: string;
    revision?: string;
    conditions?: Condition[];
  };
}

export function kubectl(args: string[]): string {
  const result = spawnSync('kubectl', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export function namespaceOf(environment: Environment): string {
  return `notejam-${environment}`;
}

/** The one NotejamInstance of an environment's namespace. */
export function instanceOf(environment: Environment): Instance {
  const list = JSON.parse(
    kubectl(['-n', namespaceOf(environment), 'get', 'notejaminstances', '-o', 'json']),
  ) as {
    items: Instance[];
  };
  if (list.items.length !== 1) {
    throw new Error(
      `expected one NotejamInstance in ${namespaceOf(environment)}, found ${list.items.length}`,
    );
  }
  return list.items[0] as Instance;
}

export function condition(instance: Instance, type: string): Condition | undefined {
  return instance.status?.conditions?.find((entry) => entry.type === type);
}

/** Settled: the operator acted on the current generation, it is Ready and no longer progressing. */
export function isSettled(instance: Instance): boolean {
  return (
    instance.status?.observedGeneration === instance.metadata.generation &&
    condition(instance, 'Ready')?.status === 'True' &&
    condition(instance, 'Progressing')?.status !== 'True'
  );
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 15 * 60 * 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function waitSettled(
  environment: Environment,
  check: (instance: Instance) => boolean = () => true,
): Promise<Instance> {
  return waitFor(`${namespaceOf(environment)} to settle`, () => {
    const instance = instanceOf(environment);
    return isSettled(instance) && check(instance) ? instance : undefined;
  });
}

export interface PortForward {
  baseUrl: string;
  stop(): void;
}

/** Forwards a local port to the instance's Service (port 80) until stopped. */
export async function portForward(environment: Environment): Promise<PortForward> {
  const instance = instanceOf(environment);
  const child: ChildProcess = spawn(
    'kubectl',
    ['-n', namespaceOf(environment), 'port-forward', `service/${instance.metadata.name}`, ':80'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`port-forward did not start: ${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`port-forward exited with ${code}: ${output}`)));
  });
  return { baseUrl: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
