// The monitoring tool script, linted like the delivery scripts (shellcheck from
// hack/delivery-tools.sh, Debian's package).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../src/manifests.ts';
import { run } from './support.ts';

it('hack/monitoring-tools.sh passes shellcheck', () => {
  const shellcheck = execFileSync(join(repoRoot, 'hack/delivery-tools.sh'), ['shellcheck'], {
    encoding: 'utf8',
  }).trim();
  expect(run(shellcheck, [join(repoRoot, 'hack/monitoring-tools.sh')], repoRoot)).toEqual({
    status: 0,
    output: '',
  });
});

it('hack/monitoring-tools.sh refuses an unknown tool with its usage', () => {
  const script = join(repoRoot, 'hack/monitoring-tools.sh');
  expect(run(script, ['grafana'], repoRoot)).toEqual({
    status: 2,
    output: `usage: ${script} promtool|amtool\n`,
  });
});
