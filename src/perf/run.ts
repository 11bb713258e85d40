/**
 * The three runs, as functions: `runProduce`, `runConsume`, `runE2e`. Each resolves the
 * options, finds the topic's leaders through the bootstrap broker, connects its clients,
 * fixes the schedule's start only once every connection is up, runs, and returns a
 * `PerfResult`. They print nothing: the CLI (cli.ts) and `make bench` decide what to show.
 *
 * Nothing here is shared between runs, so runs may be repeated in one process; connections
 * are closed (and WebAssembly histograms freed) whether a run succeeds or fails.
 */
import { nowUs } from './clock.js';
import type { BrokerNode, NegotiatedConnection, TopicLayout } from './cluster.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, byLeader, connectNode, discoverTopic, listOffsets } from './cluster.js';
import { ConsumerWorker } from './consumer.js';
import type { HistogramImpl } from './histogram.js';
import { LatencyHistogram, initHistograms } from './histogram.js';
import type { PerfMode, PerfOptions, PerfOptionsInput } from './options.js';
import { parseHostPort, resolveOptions } from './options.js';
import type { ProducerSpec } from './producer.js';
import { ProducerWorker } from './producer.js';
import type { ConsumeReport, E2eReport, PerfResult, ProduceReport } from './result.js';
import { PERF_RESULT_SCHEMA_VERSION, mib, perSec } from './result.js';

export interface ProgressSnapshot {
  mode: PerfMode;
  /** Seconds since the schedule started (warmup included). */
  elapsedS: number;
  phase: 'warmup' | 'run' | 'drain';
  /** Cumulative, warmup included. */
  producedRecords: number;
  producedBytes: number;
  inflight: number;
  consumedRecords: number;
  consumedBytes: number;
  /** Cumulative p99 so far (measured window), or null when not measured. */
  produceP99Ms: number | null;
  e2eP99Ms: number | null;
}

export interface RunHooks {
  /** Stops the run early; it still resolves with what was measured (`aborted: true`). */
  signal?: AbortSignal;
  /** Called every `progressIntervalMs` (default 1000) while the run is going. */
  onProgress?: (p: ProgressSnapshot) => void;
  progressIntervalMs?: number;
}

interface Context {
  mode: PerfMode;
  o: PerfOptions;
  impl: HistogramImpl;
  layout: TopicLayout;
  startedAt: string;
}

async function prepare(mode: PerfMode, input: PerfOptionsInput): Promise<Context> {
  const o = resolveOptions(mode, input);
  const impl = await initHistograms();
  const { host, port } = parseHostPort(o.bootstrap);
  const startedAt = new Date().toISOString();
  const layout = await discoverTopic({ nodeId: -1, host, port }, o.topic, { create: mode !== 'consume', partitions: o.partitions, clientId: o.clientId });
  return { mode, o, impl, layout, startedAt };
}

/** Records of `total` that client `i` of `n` takes (the global schedule is interleaved). */
function share(total: number | null, n: number, i: number): number {
  if (total === null) return Infinity;
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** Partitions of consumer `i` of `n`: round robin. */
function assigned(partitions: number, n: number, i: number): number[] {
  const out: number[] = [];
  for (let p = i; p < partitions; p += n) out.push(p);
  return out;
}

async function offsetsAt(ctx: Context, timestamp: number): Promise<Map<number, number>> {
  const all = ctx.layout.leaders.map((_, p) => p);
  const out = new Map<number, number>();
  for (const { node, partitions } of byLeader(ctx.layout.leaders, all).values()) {
    const c: NegotiatedConnection = await connectNode(node as BrokerNode, ctx.o.clientId);
    try {
      for (const [p, off] of await listOffsets(c, ctx.layout.topic, partitions, timestamp)) out.set(p, off);
    } finally {
      c.conn.close();
    }
  }
  return out;
}

interface Timing {
  startUs: number;
  measureStartUs: number;
  endUs: number;
}

function timing(o: PerfOptions): Timing {
  const startUs = nowUs();
  const measureStartUs = startUs + o.warmupS * 1e6;
  return { startUs, measureStartUs, endUs: o.durationS === null ? Infinity : measureStartUs + o.durationS * 1e6 };
}

function makeProducers(ctx: Context, signal: AbortSignal): { workers: ProducerWorker[]; specs: ProducerSpec[] } {
  const specs: ProducerSpec[] = [];
  const workers: ProducerWorker[] = [];
  for (let i = 0; i < ctx.o.producers; i++) {
    const spec: ProducerSpec = { index: i, opts: ctx.o, layout: ctx.layout, startUs: 0, measureStartUs: 0, endUs: Infinity, quota: share(ctx.o.records, ctx.o.producers, i), signal };
    specs.push(spec);
    workers.push(new ProducerWorker(spec));
  }
  return { workers, specs };
}

function produceReport(workers: ProducerWorker[], t: Timing, acks: number): ProduceReport {
  const total = new LatencyHistogram();
  let records = 0;
  let bytes = 0;
  let payloadBytes = 0;
  let batches = 0;
  let requests = 0;
  let warmupRecords = 0;
  let lastAckUs = 0;
  const errors: Record<string, number> = {};
  try {
    for (const w of workers) {
      const s = w.stats;
      records += s.records;
      bytes += s.bytes;
      payloadBytes += s.payloadBytes;
      batches += s.batches;
      requests += s.requests;
      warmupRecords += s.warmupRecords;
      lastAckUs = Math.max(lastAckUs, s.lastAckUs);
      for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
      total.add(w.latency);
    }
    const durationS = records > 0 ? Math.max(0, lastAckUs - t.measureStartUs) / 1e6 : 0;
    return {
      records,
      bytes,
      payloadBytes,
      batches,
      requests,
      recordsPerSec: perSec(records, durationS),
      mibPerSec: perSec(mib(bytes), durationS),
      payloadMibPerSec: perSec(mib(payloadBytes), durationS),
      latencyMs: acks === 0 ? null : total.summary(),
      warmupRecords,
      errors,
      durationS,
    };
  } finally {
    total.destroy();
  }
}

function consumeReport(workers: ConsumerWorker[], t: Timing): ConsumeReport {
  const total = new LatencyHistogram();
  let records = 0;
  let bytes = 0;
  let fetches = 0;
  let emptyFetches = 0;
  let warmupRecords = 0;
  let lastUs = 0;
  const errors: Record<string, number> = {};
  try {
    for (const w of workers) {
      const s = w.stats;
      records += s.records;
      bytes += s.bytes;
      fetches += s.fetches;
      emptyFetches += s.emptyFetches;
      warmupRecords += s.warmupRecords;
      lastUs = Math.max(lastUs, s.lastRecordUs);
      for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
      total.add(w.fetchLatency);
    }
    const durationS = records > 0 ? Math.max(0, lastUs - t.measureStartUs) / 1e6 : 0;
    return {
      records,
      bytes,
      fetches,
      emptyFetches,
      recordsPerSec: perSec(records, durationS),
      mibPerSec: perSec(mib(bytes), durationS),
      fetchLatencyMs: total.summary(),
      warmupRecords,
      errors,
      durationS,
    };
  } finally {
    total.destroy();
  }
}

function e2eReport(workers: ConsumerWorker[], missing: number): E2eReport {
  const total = new LatencyHistogram();
  try {
    let foreign = 0;
    for (const w of workers) {
      if (w.e2eLatency) total.add(w.e2eLatency);
      foreign += w.stats.foreign;
    }
    return { latencyMs: total.summary(), missing, foreign };
  } finally {
    total.destroy();
  }
}

function result(ctx: Context, t: Timing, aborted: boolean, parts: Pick<PerfResult, 'produce' | 'consume' | 'e2e'>): PerfResult {
  return {
    tool: 'tributary-perf',
    schemaVersion: PERF_RESULT_SCHEMA_VERSION,
    mode: ctx.mode,
    startedAt: ctx.startedAt,
    options: ctx.o,
    target: {
      bootstrap: ctx.o.bootstrap,
      clusterId: ctx.layout.clusterId,
      topic: ctx.layout.topic,
      partitions: ctx.layout.leaders.length,
      topicCreated: ctx.layout.created,
      apiVersions: ctx.layout.versions,
    },
    histogram: ctx.impl,
    warmupS: ctx.o.warmupS,
    elapsedS: Math.max(0, nowUs() - t.measureStartUs) / 1e6,
    aborted,
    warnings: ctx.layout.warnings,
    ...parts,
  };
}

/** Links the caller's signal to an internal one the run can also fire. */
function abortScope(signal: AbortSignal | undefined): { ctl: AbortController; aborted: () => boolean; dispose: () => void } {
  const ctl = new AbortController();
  let external = false;
  const onAbort = (): void => {
    external = true;
    ctl.abort();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return { ctl, aborted: () => external, dispose: () => signal?.removeEventListener('abort', onAbort) };
}

function progressTimer(hooks: RunHooks, snap: () => ProgressSnapshot): () => void {
  if (!hooks.onProgress) return () => {};
  const cb = hooks.onProgress;
  const timer = setInterval(() => cb(snap()), hooks.progressIntervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}

function p99(workers: { latency?: LatencyHistogram; e2eLatency?: LatencyHistogram | null }[], which: 'latency' | 'e2eLatency'): number | null {
  let best: number | null = null;
  for (const w of workers) {
    const h = w[which];
    if (h && h.count > 0) best = Math.max(best ?? 0, h.valueAtPercentileMs(99));
  }
  return best;
}

/** Produces to `topic` (created if missing) and reports throughput and produce latency. */
export async function runProduce(input: PerfOptionsInput, hooks: RunHooks = {}): Promise<PerfResult> {
  const ctx = await prepare('produce', input);
  const scope = abortScope(hooks.signal);
  const { workers, specs } = makeProducers(ctx, scope.ctl.signal);
  let t: Timing = { startUs: nowUs(), measureStartUs: nowUs(), endUs: Infinity };
  const stopProgress = progressTimer(hooks, () => snapshot(ctx.mode, t, workers, [], 'run'));
  try {
    await Promise.all(workers.map((w) => w.connect()));
    t = timing(ctx.o);
    for (const s of specs) Object.assign(s, t);
    await Promise.all(workers.map((w) => w.run()));
    return result(ctx, t, scope.aborted(), { produce: produceReport(workers, t, ctx.o.acks), consume: null, e2e: null });
  } finally {
    stopProgress();
    scope.dispose();
    for (const w of workers) {
      w.close();
      w.latency.destroy();
    }
  }
}

/**
 * Consumes `topic` (which must exist) from --from. Ends after --records, --duration, or,
 * with neither, once every partition reached the end offset it had when the run started.
 */
export async function runConsume(input: PerfOptionsInput, hooks: RunHooks = {}): Promise<PerfResult> {
  const ctx = await prepare('consume', input);
  const o = ctx.o;
  const scope = abortScope(hooks.signal);
  const partitions = ctx.layout.leaders.length;
  const startOffsets = await offsetsAt(ctx, o.from === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
  const endOffsets = o.records === null && o.durationS === null ? await offsetsAt(ctx, LATEST_TIMESTAMP) : null;
  let t: Timing = { startUs: nowUs(), measureStartUs: nowUs(), endUs: Infinity };
  const workers: ConsumerWorker[] = [];
  const stopAll = (): void => {
    for (const w of workers) w.stop();
  };
  const onRecords = (): void => {
    if (o.records !== null && workers.reduce((n, w) => n + w.received, 0) >= o.records) stopAll();
  };
  for (let i = 0; i < Math.min(o.consumers, partitions); i++) {
    workers.push(
      new ConsumerWorker({
        index: i,
        opts: o,
        layout: ctx.layout,
        partitions: assigned(partitions, o.consumers, i),
        startOffsets,
        endOffsets,
        measureStartUs: 0,
        e2e: false,
        runStartUs: 0,
        onRecords,
      }),
    );
  }
  const warnings = o.consumers > partitions ? [`--consumers ${o.consumers} > ${partitions} partitions: ${o.consumers - partitions} consumers idle (not started)`] : [];
  const stopProgress = progressTimer(hooks, () => snapshot(ctx.mode, t, [], workers, 'run'));
  let endTimer: NodeJS.Timeout | null = null;
  scope.ctl.signal.addEventListener('abort', stopAll, { once: true });
  try {
    await Promise.all(workers.map((w) => w.connect()));
    t = timing(o);
    for (const w of workers) w.setMeasureStart(t.measureStartUs, t.startUs);
    if (t.endUs !== Infinity) endTimer = setTimeout(stopAll, (t.endUs - nowUs()) / 1000);
    await Promise.all(workers.map((w) => w.run()));
    const r = result(ctx, t, scope.aborted(), { produce: null, consume: consumeReport(workers, t), e2e: null });
    r.warnings = [...r.warnings, ...warnings];
    return r;
  } finally {
    if (endTimer) clearTimeout(endTimer);
    stopProgress();
    scope.dispose();
    for (const w of workers) {
      w.close();
      w.fetchLatency.destroy();
    }
  }
}

/**
 * Produces and consumes at once (consumers start at the end of every partition before the
 * first record is sent) and reports both sides plus per-record end-to-end latency. After
 * the producers finish, waits up to --drain-timeout-ms for every acknowledged record.
 */
export async function runE2e(input: PerfOptionsInput, hooks: RunHooks = {}): Promise<PerfResult> {
  const ctx = await prepare('e2e', input);
  const o = ctx.o;
  const scope = abortScope(hooks.signal);
  const partitions = ctx.layout.leaders.length;
  const startOffsets = await offsetsAt(ctx, LATEST_TIMESTAMP);
  const { workers: producers, specs } = makeProducers(ctx, scope.ctl.signal);
  const consumers: ConsumerWorker[] = [];
  let target: number[] | null = null;
  let drained: () => void = () => {};
  const drainedP = new Promise<void>((r) => (drained = r));
  const received = (p: number): number => consumers.reduce((n, c) => n + c.receivedPerPartition[p]!, 0);
  const checkDrained = (): void => {
    if (target !== null && target.every((n, p) => received(p) >= n)) drained();
  };
  for (let i = 0; i < Math.min(o.consumers, partitions); i++) {
    consumers.push(
      new ConsumerWorker({
        index: i,
        opts: o,
        layout: ctx.layout,
        partitions: assigned(partitions, o.consumers, i),
        startOffsets,
        endOffsets: null,
        measureStartUs: 0,
        e2e: true,
        runStartUs: 0,
        onRecords: checkDrained,
      }),
    );
  }
  let phase: ProgressSnapshot['phase'] = 'run';
  let t: Timing = { startUs: nowUs(), measureStartUs: nowUs(), endUs: Infinity };
  const stopProgress = progressTimer(hooks, () => snapshot(ctx.mode, t, producers, consumers, phase));
  const stopConsumers = (): void => {
    for (const c of consumers) c.stop();
  };
  let drainTimer: NodeJS.Timeout | null = null;
  try {
    await Promise.all([...producers.map((w) => w.connect()), ...consumers.map((w) => w.connect())]);
    t = timing(o);
    for (const s of specs) Object.assign(s, t);
    for (const c of consumers) c.setMeasureStart(t.measureStartUs, t.startUs);
    const consuming = Promise.all(consumers.map((c) => c.run()));
    const producing = Promise.all(producers.map((w) => w.run())).then(async () => {
      phase = 'drain';
      const tgt = new Array<number>(partitions).fill(0);
      for (const w of producers) w.ackedPerPartition.forEach((n, p) => (tgt[p]! += n));
      target = tgt;
      checkDrained();
      const timeout = new Promise<void>((r) => {
        drainTimer = setTimeout(r, o.drainTimeoutMs);
        scope.ctl.signal.addEventListener('abort', () => r(), { once: true });
      });
      await Promise.race([drainedP, timeout]);
      stopConsumers();
    });
    await Promise.all([producing, consuming]);
    const tgt = target ?? [];
    const missing = tgt.reduce((n, want, p) => n + Math.max(0, want - received(p)), 0);
    return result(ctx, t, scope.aborted(), {
      produce: produceReport(producers, t, o.acks),
      consume: consumeReport(consumers, t),
      e2e: e2eReport(consumers, missing),
    });
  } finally {
    if (drainTimer) clearTimeout(drainTimer);
    stopProgress();
    scope.dispose();
    stopConsumers();
    for (const w of producers) {
      w.close();
      w.latency.destroy();
    }
    for (const c of consumers) {
      c.fetchLatency.destroy();
      c.e2eLatency?.destroy();
    }
  }
}

function snapshot(mode: PerfMode, t: Timing, producers: ProducerWorker[], consumers: ConsumerWorker[], phase: ProgressSnapshot['phase']): ProgressSnapshot {
  const now = nowUs();
  let producedRecords = 0;
  let producedBytes = 0;
  let inflight = 0;
  for (const w of producers) {
    producedRecords += w.stats.records + w.stats.warmupRecords;
    producedBytes += w.stats.bytes;
    inflight += w.inflight;
  }
  let consumedRecords = 0;
  let consumedBytes = 0;
  for (const c of consumers) {
    consumedRecords += c.received;
    consumedBytes += c.bytesReceived;
  }
  return {
    mode,
    elapsedS: Math.max(0, now - t.startUs) / 1e6,
    phase: phase === 'run' && now < t.measureStartUs ? 'warmup' : phase,
    producedRecords,
    producedBytes,
    inflight,
    consumedRecords,
    consumedBytes,
    produceP99Ms: producers.length > 0 ? p99(producers, 'latency') : null,
    e2eP99Ms: consumers.length > 0 ? p99(consumers, 'e2eLatency') : null,
  };
}
