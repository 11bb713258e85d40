/**
 * Options of the load generator (`tributary perf`, `runProduce`/`runConsume`/`runE2e`):
 * their defaults, their limits and the one place they are validated. The CLI parses strings
 * into a `PerfOptionsInput`; in-process callers (`make bench`) pass one directly. Either way
 * `resolveOptions` fills defaults and throws INVALID_ARGUMENT naming the option (by its CLI
 * spelling) and the value it rejected.
 */
import { perfClientsMax, perfInflightMax, perfKeysMax, perfRecordBytesMax } from '../limits.js';
import { TributaryError } from '../errors.js';
import { zstdBackend } from '../format/compression/index.js';
import { batchBytesMax, partitionsMax, topicNameLengthMax } from '../limits.js';

export type PerfMode = 'produce' | 'consume' | 'e2e';
export type Acks = 0 | 1 | -1;
/** Kafka's codecs; zstd needs a zstd backend in this process (format/compression/zstd.ts). */
export const PERF_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type PerfCompression = (typeof PERF_COMPRESSIONS)[number];

export type KeyDistribution =
  | { kind: 'none' }
  | { kind: 'uniform'; keys: number }
  /** YCSB's Zipfian generator: key 0 most popular; 0 < exponent < 1. */
  | { kind: 'zipf'; keys: number; exponent: number };

// ---- Limits (src/limits.ts) and defaults ------------------------------------------------

export { perfClientsMax, perfInflightMax, perfKeysMax, perfRecordBytesMax } from '../limits.js';

/** Default YCSB Zipfian exponent (theta). */
export const zipfExponentDefault = 0.99;
/** How long an e2e run waits, after the last produce, for consumers to receive everything. */
export const e2eDrainMsDefault = 10_000;
/** Run length when neither --duration nor --records is given (produce and e2e). */
export const durationSDefault = 10;

export interface PerfOptions {
  /** `host:port` of any broker of the cluster; `[v6addr]:port` for IPv6. */
  bootstrap: string;
  topic: string;
  /** Partitions of the topic if this run creates it (an existing topic keeps its own). */
  partitions: number;
  /** Bytes of each record value (at least 8 for e2e: the send timestamp lives there). */
  recordSizeBytes: number;
  keyDistribution: KeyDistribution;
  acks: Acks;
  compression: PerfCompression;
  /** Uncompressed record bytes after which a batch is closed (Kafka batch.size). */
  batchSizeBytes: number;
  /** How long a batch may wait for more records after its first (Kafka linger.ms). */
  lingerMs: number;
  /** Records per second over all producers; 0 = as fast as possible. */
  rate: number;
  /** Measured run length after warmup; null = until `records` (or, for consume, the end). */
  durationS: number | null;
  /** Records to produce (consume: to receive) over all clients, warmup included; null = by duration. */
  records: number | null;
  producers: number;
  consumers: number;
  /** Produce requests pipelined per connection (Kafka max.in.flight.requests.per.connection). */
  maxInflight: number;
  /** Seconds at the start whose results are not counted. */
  warmupS: number;
  /** Where `consume` starts; e2e always starts at the end. */
  from: 'earliest' | 'latest';
  fetchMaxBytes: number;
  fetchPartitionMaxBytes: number;
  fetchMaxWaitMs: number;
  fetchMinBytes: number;
  /** Produce request timeout the broker is given (acks=-1). */
  produceTimeoutMs: number;
  /** e2e: how long to wait after producing for every record to arrive. */
  drainTimeoutMs: number;
  clientId: string;
  /** Seeds the key and payload generators: equal seeds give equal data. */
  seed: number;
}

/** What callers pass: `bootstrap` and anything they want to change. */
export type PerfOptionsInput = Partial<PerfOptions> & { bootstrap: string };

export const PERF_DEFAULTS: Omit<PerfOptions, 'bootstrap'> = {
  topic: 'tributary-perf',
  partitions: 1,
  recordSizeBytes: 100,
  keyDistribution: { kind: 'none' },
  acks: -1,
  compression: 'none',
  batchSizeBytes: 16_384,
  lingerMs: 5,
  rate: 0,
  durationS: null,
  records: null,
  producers: 1,
  consumers: 1,
  maxInflight: 5,
  warmupS: 0,
  from: 'earliest',
  fetchMaxBytes: 50 * 1024 * 1024,
  fetchPartitionMaxBytes: 1024 * 1024,
  fetchMaxWaitMs: 500,
  fetchMinBytes: 1,
  produceTimeoutMs: 30_000,
  drainTimeoutMs: e2eDrainMsDefault,
  clientId: 'tributary-perf',
  seed: 1,
};

export function usageError(message: string, context: Record<string, unknown> = {}): TributaryError {
  return new TributaryError('INVALID_ARGUMENT', message, context);
}

function int(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw usageError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`, { option: name, value: v });
  return v;
}

function num(name: string, v: number, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw usageError(`${name} must be a number in [${min}, ${max}], got ${String(v)}`, { option: name, value: v });
  }
  return v;
}

/** Splits `host:port` / `[v6]:port`; throws a usage error otherwise. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]]+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw usageError(`--bootstrap must be host:port, got '${s}'`, { option: '--bootstrap', value: s });
  return { host: m[1]!, port };
}

/** `none`, `uniform:N`, `zipf:N` or `zipf:N:S` (0 < S < 1). */
export function parseKeyDistribution(s: string): KeyDistribution {
  const bad = (why: string): never => {
    throw usageError(`--key-distribution must be none, uniform:N or zipf:N[:S] (${why}), got '${s}'`, { option: '--key-distribution', value: s });
  };
  const parts = s.split(':');
  const kind = parts[0];
  if (kind === 'none' && parts.length === 1) return { kind: 'none' };
  if (kind !== 'uniform' && kind !== 'zipf') return bad('unknown distribution');
  if (parts.length < 2 || (kind === 'uniform' && parts.length > 2) || parts.length > 3) return bad('wrong number of fields');
  const keys = Number(parts[1]);
  if (!Number.isInteger(keys) || keys < 1 || keys > perfKeysMax) return bad(`N must be an integer in [1, ${perfKeysMax}]`);
  if (kind === 'uniform') return { kind, keys };
  const exponent = parts[2] === undefined ? zipfExponentDefault : Number(parts[2]);
  if (!(exponent > 0 && exponent < 1)) return bad('S must be in (0, 1)');
  return { kind, keys, exponent };
}

function checkKeyDistribution(d: KeyDistribution): KeyDistribution {
  if (d.kind === 'none') return d;
  int('--key-distribution N', d.keys, 1, perfKeysMax);
  if (d.kind === 'zipf' && !(d.exponent > 0 && d.exponent < 1)) throw usageError(`--key-distribution zipf exponent must be in (0, 1), got ${d.exponent}`);
  return d;
}

/** Fills defaults and checks every option; `mode` adds the checks one mode needs. */
export function resolveOptions(mode: PerfMode, input: PerfOptionsInput): PerfOptions {
  if (typeof input.bootstrap !== 'string') throw usageError('--bootstrap host:port is required', { option: '--bootstrap' });
  const o: PerfOptions = { ...PERF_DEFAULTS, ...stripUndefined(input), bootstrap: input.bootstrap };
  parseHostPort(o.bootstrap);
  if (typeof o.topic !== 'string' || o.topic.length === 0 || o.topic.length > topicNameLengthMax || !/^[a-zA-Z0-9._-]+$/.test(o.topic)) {
    throw usageError(`--topic must be 1-${topicNameLengthMax} characters of [a-zA-Z0-9._-], got '${String(o.topic)}'`, { option: '--topic' });
  }
  int('--partitions', o.partitions, 1, partitionsMax);
  int('--record-size', o.recordSizeBytes, 0, perfRecordBytesMax);
  if (mode === 'e2e' && o.recordSizeBytes < 8) throw usageError(`--record-size must be at least 8 for e2e (the send timestamp is the first 8 bytes of each value), got ${o.recordSizeBytes}`);
  o.keyDistribution = checkKeyDistribution(o.keyDistribution);
  if (o.acks !== 0 && o.acks !== 1 && o.acks !== -1) throw usageError(`--acks must be 0, 1 or -1 (all), got ${String(o.acks)}`);
  if (!PERF_COMPRESSIONS.includes(o.compression)) throw usageError(`--compression must be one of ${PERF_COMPRESSIONS.join(', ')}, got '${String(o.compression)}'`);
  if (o.compression === 'zstd' && zstdBackend === null) throw usageError('--compression zstd needs the native/zstd addon or the zstd WebAssembly build, and neither could be loaded', { option: '--compression' });
  int('--batch-size', o.batchSizeBytes, 1, batchBytesMax);
  num('--linger-ms', o.lingerMs, 0, 3_600_000);
  num('--rate', o.rate, 0, 1e9);
  if (o.durationS !== null) num('--duration', o.durationS, 0.001, 365 * 24 * 3600);
  if (o.records !== null) int('--records', o.records, 1, Number.MAX_SAFE_INTEGER);
  if (o.durationS === null && o.records === null && mode !== 'consume') o.durationS = durationSDefault;
  int('--producers', o.producers, 1, perfClientsMax);
  int('--consumers', o.consumers, 1, perfClientsMax);
  int('--max-inflight', o.maxInflight, 1, perfInflightMax);
  num('--warmup', o.warmupS, 0, 24 * 3600);
  if (o.from !== 'earliest' && o.from !== 'latest') throw usageError(`--from must be earliest or latest, got '${String(o.from)}'`);
  int('--fetch-max-bytes', o.fetchMaxBytes, 1, 0x7fff_ffff);
  int('--fetch-partition-max-bytes', o.fetchPartitionMaxBytes, 1, 0x7fff_ffff);
  int('--fetch-max-wait-ms', o.fetchMaxWaitMs, 0, 0x7fff_ffff);
  int('--fetch-min-bytes', o.fetchMinBytes, 0, 0x7fff_ffff);
  int('--produce-timeout-ms', o.produceTimeoutMs, 1, 0x7fff_ffff);
  int('--drain-timeout-ms', o.drainTimeoutMs, 0, 24 * 3600 * 1000);
  int('--seed', o.seed, 0, 0xffff_ffff);
  if (typeof o.clientId !== 'string') throw usageError('--client-id must be a string');
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
