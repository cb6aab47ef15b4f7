// Reads Prometheus' text exposition format (what /metrics returns): which series names a
// target exposes and which labels each carries.
export interface Exposition {
  /** Series names: a histogram `x` exposes `x_bucket`, `x_sum` and `x_count`. */
  names: Set<string>;
  /** Label names seen on samples, per series name. */
  labels: Map<string, Set<string>>;
}

const suffixesByType: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
};

export function parseExposition(text: string): Exposition {
  const names = new Set<string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      for (const suffix of suffixesByType[type[2]] ?? ['']) names.add(`${type[1]}${suffix}`);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    // name{labels} value [timestamp]
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (
      !sample ||
      !/^(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|[-+]?Inf|NaN)$/.test(sample[3])
    ) {
      throw new Error(`not a sample line: ${line}`);
    }
    names.add(sample[1]);
    const seen = labels.get(sample[1]) ?? new Set<string>();
    for (const label of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g))
      seen.add(label[1]);
    labels.set(sample[1], seen);
  }
  return { names, labels };
}

/** One exposition holding the series of all, e.g. one program scraped in two configurations. */
export function mergeExpositions(...expositions: Exposition[]): Exposition {
  const names = new Set(expositions.flatMap((e) => [...e.names]));
  const labels = new Map<string, Set<string>>();
  for (const exposition of expositions) {
    for (const [name, seen] of exposition.labels)
      labels.set(name, new Set([...(labels.get(name) ?? []), ...seen]));
  }
  return { names, labels };
}
