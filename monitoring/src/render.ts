// The exact file content of each dashboard: its JSON formatted by the repository's Prettier
// configuration, so generated files pass `prettier --check` as they are.
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { dashboards } from './dashboards/index.ts';
import { dashboardsDir } from './manifests.ts';

export async function renderDashboards(): Promise<Record<string, string>> {
  const rendered: Record<string, string> = {};
  for (const [file, build] of Object.entries(dashboards)) {
    const path = join(dashboardsDir, file);
    const options = (await resolveConfig(path)) ?? {};
    rendered[file] = await format(JSON.stringify(build()), { ...options, filepath: path });
  }
  return rendered;
}
