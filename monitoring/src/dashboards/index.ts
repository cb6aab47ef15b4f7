// Every dashboard we ship, by the file it is written to under config/monitoring/dashboards.
import { notejamDashboardJson } from './notejam.ts';
import { operatorDashboardJson } from './operator.ts';

export const dashboards: Record<string, () => Record<string, unknown>> = {
  'notejam.json': notejamDashboardJson,
  'notejam-operator.json': operatorDashboardJson,
};
