/**
 * The one shape every scenario reports into: a measurement is identified by its group and a
 * key, carries descriptive parameters, and holds one value per run for each named metric
 * (e.g. `mbps`, `recordsPerSec`, `ratio`). Aggregation happens only when reporting.
 */
import type { Summary } from './stats.js';
import { summarize } from './stats.js';

/** The groups `--only` selects. */
export const GROUPS = ['crc', 'compression', 'zstd', 'batch', 'index', 'storage', 'limits', 'e2e', 'peers'] as const;
export type Group = (typeof GROUPS)[number];

export type Params = Record<string, string | number>;

export interface Measurement {
  group: Group;
  key: string;
  params: Params;
  /** metric name -> one value per run, in run order. */
  values: Record<string, number[]>;
}

export class Results {
  private readonly byId = new Map<string, Measurement>();

  /** Adds one run's metric values to the measurement `group`/`key` (created on first use). */
  record(group: Group, key: string, params: Params, metrics: Record<string, number>): void {
    const id = `${group}/${key}`;
    let m = this.byId.get(id);
    if (!m) {
      m = { group, key, params, values: {} };
      this.byId.set(id, m);
    }
    for (const [name, v] of Object.entries(metrics)) (m.values[name] ??= []).push(v);
  }

  get(group: Group, key: string): Measurement | undefined {
    return this.byId.get(`${group}/${key}`);
  }

  all(group?: Group): Measurement[] {
    const list = [...this.byId.values()];
    return group ? list.filter((m) => m.group === group) : list;
  }

  /** The summary of one metric of one measurement, or undefined when it was not measured. */
  summary(group: Group, key: string, metric: string): Summary | undefined {
    const v = this.get(group, key)?.values[metric];
    return v && v.length > 0 ? summarize(v) : undefined;
  }
}
