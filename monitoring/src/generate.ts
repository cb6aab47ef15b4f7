// Writes the dashboards' Grafana JSON into config/monitoring/dashboards (`make dashboards`,
// or `npm run generate -w monitoring`). A test fails when a committed file is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDashboards } from './render.ts';
import { dashboardsDir } from './manifests.ts';

for (const [file, content] of Object.entries(await renderDashboards())) {
  writeFileSync(join(dashboardsDir, file), content);
  console.log(`wrote config/monitoring/dashboards/${file}`);
}
