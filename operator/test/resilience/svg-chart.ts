// A small SVG line chart for the resilience suite's curves (docs/benchmarks/resilience/):
// time in seconds across, up to two value axes (e.g. replicas left, latency right), step
// lines, and labelled vertical markers for the events (peak starts, node lost, ...).
export interface ChartSeries {
  name: string;
  color: string;
  axis: 'left' | 'right';
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  leftLabel: string;
  rightLabel?: string;
  series: ChartSeries[];
  markers?: { at: number; label: string }[];
}

const width = 860;
const height = 360;
const margin = { top: 40, right: 70, bottom: 70, left: 60 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least the maximum. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((f) => f * power).find((v) => v >= value) as number) ?? value;
}

export function lineChart(options: ChartOptions): string {
  const finite = (points: [number, number][]) => points.filter(([, y]) => Number.isFinite(y));
  const all = options.series.flatMap((s) => finite(s.points));
  const xMax = niceMax(Math.max(1, ...all.map(([x]) => x)));
  const yMax = (axis: 'left' | 'right') =>
    niceMax(
      Math.max(
        0,
        ...options.series
          .filter((s) => s.axis === axis)
          .flatMap((s) => finite(s.points).map(([, y]) => y)),
      ),
    );
  const maxima = { left: yMax('left'), right: yMax('right') };
  const x = (value: number) => margin.left + (value / xMax) * plotWidth;
  const y = (value: number, axis: 'left' | 'right') =>
    margin.top + plotHeight - (value / maxima[axis]) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(options.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const fraction = i / 5;
    const yPos = margin.top + plotHeight - fraction * plotHeight;
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${yPos}" y2="${yPos}" stroke="#ddd"/>`,
      `<text x="${margin.left - 6}" y="${yPos + 4}" text-anchor="end">${+(maxima.left * fraction).toPrecision(3)}</text>`,
    );
    if (options.rightLabel) {
      parts.push(
        `<text x="${margin.left + plotWidth + 6}" y="${yPos + 4}">${+(maxima.right * fraction).toPrecision(3)}</text>`,
      );
    }
    const xValue = xMax * fraction;
    parts.push(
      `<text x="${x(xValue)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${Math.round(xValue)}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${margin.top + plotHeight + 36}" text-anchor="middle">seconds since the load started</text>`,
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(options.leftLabel)}</text>`,
  );
  if (options.rightLabel) {
    parts.push(
      `<text transform="translate(${width - 12} ${margin.top + plotHeight / 2}) rotate(90)" text-anchor="middle">${escape(options.rightLabel)}</text>`,
    );
  }
  for (const marker of options.markers ?? []) {
    const xPos = x(marker.at);
    parts.push(
      `<line x1="${xPos}" x2="${xPos}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${xPos + 3}" y="${margin.top + 12}" fill="#555">${escape(marker.label)}</text>`,
    );
  }
  for (const series of options.series) {
    const points = finite(series.points);
    if (points.length === 0) continue;
    // Step lines: a value holds until the next sample.
    const path = points
      .map(([px, py], i) => {
        const command = `${x(px).toFixed(1)},${y(py, series.axis).toFixed(1)}`;
        if (i === 0) return `M${command}`;
        const previous = points[i - 1] as [number, number];
        return `L${x(px).toFixed(1)},${y(previous[1], series.axis).toFixed(1)} L${command}`;
      })
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
  }
  options.series.forEach((series, index) => {
    const legendX = margin.left + index * 190;
    const legendY = height - 14;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 24}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${series.color}" stroke-width="3"/>`,
      `<text x="${legendX + 30}" y="${legendY}">${escape(series.name)} (${series.axis})</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
