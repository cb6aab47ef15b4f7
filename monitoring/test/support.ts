// Helpers shared by the monitoring tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../src/manifests.ts';

/**
 * promtool or amtool, built once into the cache by hack/monitoring-tools.sh (`make
 * monitoring-tools` runs it before the tests; here it only prints the cached path, or builds
 * when missing).
 */
export function monitoringToolPath(tool: 'promtool' | 'amtool'): string {
  return execFileSync(join(repoRoot, 'hack/monitoring-tools.sh'), [tool], {
    encoding: 'utf8',
  }).trim();
}

export interface Run {
  status: number | null;
  output: string;
}

export function run(command: string, args: string[], cwd: string): Run {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
