/**
 * A strict reader of the Prometheus text format 0.0.4 for tests (the npm parser we tried,
 * parse-prometheus-text-format 1.1.1, drops the labels, sum and count of every histogram
 * series). Throws, naming the line, on anything the format does not allow: a line that is
 * neither a comment nor a sample, a sample of no declared family, a repeated series,
 * histogram buckets that decrease or whose +Inf differs from the count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)( -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;
/** Go's ParseFloat, as Prometheus reads values: NaN and Inf in any case (prom-client writes `Nan`). */
const VALUE = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|nan|[+-]?inf)$/i;
const toNumber = (text: string) => (/^nan$/i.test(text) ? NaN : /^[+-]?inf$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text));

export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fail = (why: string) => new Error(`not Prometheus text format (${why}): ${JSON.stringify(line)}`);
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      const family = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
      if (kind === 'HELP') family.help = rest;
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) family.type = rest as MetricFamily['type'];
      else throw fail(`unknown type ${rest}`);
      families.set(name, family);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match || !VALUE.test(match[4])) throw fail('not a sample');
    const labels: Record<string, string> = {};
    for (let rest = match[3] ?? ''; rest; ) {
      const label = LABEL.exec(rest);
      if (!label) throw fail('bad labels');
      labels[label[1]] = label[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(label[0].length);
    }
    const name = match[1];
    const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count|total|created)$/, ''));
    if (!family) throw fail('no # TYPE for it');
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw fail('repeated series');
    seen.add(key);
    family.samples.push({ name, labels, value: toNumber(match[4]) });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
  for (const sample of family.samples) {
    const entry = series.get(keyOf(sample.labels)) ?? { buckets: [] };
    if (sample.name.endsWith('_bucket')) entry.buckets.push([toNumber(sample.labels.le), sample.value]);
    if (sample.name.endsWith('_count')) entry.count = sample.value;
    series.set(keyOf(sample.labels), entry);
  }
  for (const [key, { buckets, count }] of series) {
    buckets.sort((a, b) => a[0] - b[0]);
    buckets.forEach(([, value], i) => {
      if (i > 0 && value < buckets[i - 1][1]) throw new Error(`${family.name}${key}: buckets decrease`);
    });
    if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)?.[1] !== count) throw new Error(`${family.name}${key}: +Inf bucket differs from the count`);
  }
}

const matches = (labels: Record<string, string>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => labels[k] === v);

/** Sum of a counter's or gauge's samples with these labels (over the others); 0 when absent. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name) ?? families.get(name.replace(/_total$/, ''));
  return (family?.samples ?? []).filter((s) => (s.name === name || s.name === `${name}_total`) && matches(s.labels, labels)).reduce((sum, s) => sum + s.value, 0);
}

/** Observation count of a histogram with these labels (summed over the others); 0 when absent. */
export function histogramCount(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  return (families.get(name)?.samples ?? []).filter((s) => s.name === `${name}_count` && matches(s.labels, labels)).reduce((sum, s) => sum + s.value, 0);
}
