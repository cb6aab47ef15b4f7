// The reader of Prometheus' text format the consistency test relies on.
import { mergeExpositions, parseExposition } from '../src/exposition.ts';

const text = `# HELP http_request_duration_seconds Request duration
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.5",route="/notes/:id/",method="GET",status="200"} 3
http_request_duration_seconds_bucket{le="+Inf",route="/notes/:id/",method="GET",status="200"} 4
http_request_duration_seconds_sum{route="/notes/:id/",method="GET",status="200"} 1.25
http_request_duration_seconds_count{route="/notes/:id/",method="GET",status="200"} 4
# HELP notejam_signups_total Accounts created
# TYPE notejam_signups_total counter
notejam_signups_total 0
# HELP workqueue_depth Current depth of workqueue
# TYPE workqueue_depth gauge
# HELP odd Label values with quotes, commas and braces
# TYPE odd gauge
odd{a="x\\"y,z}",b="{"} 1 1700000000000
`;

describe('parseExposition', () => {
  const exposition = parseExposition(text);

  it('names the series of each family, histograms by their _bucket, _sum and _count', () => {
    expect([...exposition.names].sort()).toEqual([
      'http_request_duration_seconds_bucket',
      'http_request_duration_seconds_count',
      'http_request_duration_seconds_sum',
      'notejam_signups_total',
      'odd',
      'workqueue_depth',
    ]);
  });

  it('collects the label names of the samples, escaped values included', () => {
    expect(exposition.labels.get('http_request_duration_seconds_bucket')).toEqual(
      new Set(['le', 'route', 'method', 'status']),
    );
    expect(exposition.labels.get('odd')).toEqual(new Set(['a', 'b']));
    expect(exposition.labels.get('notejam_signups_total')).toEqual(new Set());
    // A family without samples (a labelled metric never observed) has a name, no labels.
    expect(exposition.labels.has('workqueue_depth')).toBe(false);
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parseExposition('not a metric line\n')).toThrow(/not a sample line/);
  });

  it('merges expositions by name and label', () => {
    const merged = mergeExpositions(exposition, parseExposition('odd{c="1"} 2\nextra 1\n'));
    expect(merged.names.has('extra')).toBe(true);
    expect(merged.labels.get('odd')).toEqual(new Set(['a', 'b', 'c']));
  });
});
