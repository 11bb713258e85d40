/**
 * The peers, where installed: Redis Streams (appendfsync always, then everysec) and NATS
 * JetStream (file storage, default sync), each started by the benchmark on a free loopback
 * port with its data in the scratch directory, driven by peers/driver.ts with the same
 * record sizes and the same batch/in-flight settings as Tributary's scenarios. A peer whose
 * binary is missing (or that fails to start) is skipped with a note in the report.
 *
 * Durability, side by side (docs/performance.md has the reasoning):
 *   Tributary flush.messages=1   ~ Redis appendfsync always  (fsync before the ack)
 *   Tributary flush.ms=1000      ~ Redis appendfsync everysec (fsync on a 1 s timer)
 *   JetStream default            = fsync on a 2-minute timer (sync_interval), weaker than both
 */
import type { LatencySummary } from '../src/perf/index.js';
import { cpuMeter } from './cpu.js';
import { DRAIN_MS, E2E_SIZES, LATENCY_BATCH_BYTES, RECORD_100B, RECORD_1K } from './e2e-bench.js';
import type { Mode } from './options.js';
import type { PeerStream, PeerSystem } from './peers/driver.js';
import { BATCH_BYTES, INFLIGHT, consumeAll, fixedRate, produceMax } from './peers/driver.js';
import { natsBinary, natsVersion, startNats } from './peers/nats.js';
import type { AppendFsync } from './peers/redis.js';
import { redisBinary, redisVersion, startRedis } from './peers/redis.js';
import type { Results } from './results.js';
import type { ScratchDir } from './scratch-dir.js';

/** Which scenarios a peer configuration runs: the durable one only the max-rate produces. */
export type PeerScenario = 'produce-1k' | 'produce-100b' | 'consume-100b' | 'fetch-1k' | 'latency-1k';
const FULL_SET: PeerScenario[] = ['produce-1k', 'produce-100b', 'consume-100b', 'fetch-1k', 'latency-1k'];

export interface PeerConfig {
  /** Short id used in result keys. */
  id: string;
  label: string;
  /** For the chart legend. */
  short: string;
  /** Exact command line (with placeholders for port and directory). */
  command: string;
  /** What an acknowledgement guarantees. */
  durability: string;
  /** The Tributary configuration with the same guarantee (or the nearest). */
  comparedWith: string;
  version: string;
  scenarios: PeerScenario[];
  start: (dir: string) => Promise<PeerSystem>;
}

export interface PeerSetup {
  configs: PeerConfig[];
  /** Why a peer is not in the report. */
  skipped: string[];
}

function redisConfig(bin: string, version: string, fsync: AppendFsync): PeerConfig {
  return {
    id: `redis-${fsync}`,
    label: `Redis Streams (appendfsync ${fsync})`,
    short: `Redis ${fsync}`,
    command: `redis-server --bind 127.0.0.1 --port PORT --dir DIR --appendonly yes --appendfsync ${fsync} --save '' --logfile '' --daemonize no --protected-mode no`,
    durability:
      fsync === 'always'
        ? 'AOF written and fsynced before the replies of each event-loop turn are sent (group commit)'
        : 'AOF written before the reply, fsynced once a second by a background thread: a machine crash loses up to ~1–2 s of acknowledged entries',
    comparedWith: fsync === 'always' ? 'Tributary (flush.messages=1)' : 'Tributary (flush.ms=1000)',
    version,
    scenarios: fsync === 'always' ? ['produce-1k', 'produce-100b'] : FULL_SET,
    start: (dir) => startRedis(bin, dir, fsync),
  };
}

/** Finds the peer binaries; none is an error. */
export function peerSetup(): PeerSetup {
  const configs: PeerConfig[] = [];
  const skipped: string[] = [];
  const redis = redisBinary();
  if (redis) {
    const v = redisVersion(redis).replace(/^Redis server v=([\d.]+).*$/, 'Redis $1');
    configs.push(redisConfig(redis, v, 'always'), redisConfig(redis, v, 'everysec'));
  } else skipped.push('Redis Streams: `redis-server` not found on PATH (Debian: apt-get install redis-server)');
  const nats = natsBinary();
  if (nats) {
    configs.push({
      id: 'jetstream',
      label: 'NATS JetStream (file storage, default sync)',
      short: 'JetStream',
      command: 'nats-server -js -sd DIR -a 127.0.0.1 -p PORT',
      durability: 'message written to the stream block file (page cache) before the PubAck; fsync every sync_interval, default 2 min: a machine crash loses up to 2 min of acknowledged messages',
      comparedWith: 'Tributary (flush.ms=1000) — JetStream is the weaker of the two',
      version: natsVersion(nats),
      scenarios: FULL_SET,
      start: (dir) => startNats(nats, dir),
    });
  } else skipped.push('NATS JetStream: `nats-server` not found on PATH (Debian: apt-get install nats-server)');
  return { configs, skipped };
}

export const PEER_DRIVER_DESCRIPTION = `batches of up to ${BATCH_BYTES} B of records (one pipeline / one set of async publishes per batch), ${INFLIGHT} batches in flight, one reader with one read in flight`;

function latencyMetrics(l: LatencySummary): Record<string, number> {
  return { e2eP50Ms: l.p50Ms, e2eP90Ms: l.p90Ms, e2eP99Ms: l.p99Ms, e2eP999Ms: l.p999Ms, e2eMaxMs: l.maxMs };
}

/** One run of every available peer configuration (group 'peers'); a peer that fails is noted and skipped. */
export async function benchPeers(mode: Mode, setup: PeerSetup, results: Results, scratch: ScratchDir, log: (msg: string) => void): Promise<void> {
  const sizes = E2E_SIZES[mode];
  for (const cfg of setup.configs) {
    const dir = scratch.sub(`peer-${cfg.id}`);
    let system: PeerSystem | null = null;
    try {
      system = await cfg.start(dir);
      const recRaw = (scenario: PeerScenario, params: Record<string, number>, metrics: Record<string, number>): void =>
        results.record('peers', `${cfg.id}/${scenario}`, { system: cfg.label, scenario, ...params }, metrics);
      // What each produce scenario wrote, for the read scenarios that follow it.
      const written = new Map<PeerScenario, { stream: PeerStream; records: number }>();
      for (const scenario of cfg.scenarios) {
        const cpu = cpuMeter(system.pid);
        const rec = (s: PeerScenario, params: Record<string, number>, metrics: Record<string, number>): void => recRaw(s, params, { ...metrics, ...cpu() });
        if (scenario === 'produce-1k' || scenario === 'produce-100b') {
          const bytes = scenario === 'produce-1k' ? RECORD_1K : RECORD_100B;
          const stream = await system.openStream(`s-${scenario}`, bytes);
          const r = await produceMax(stream, bytes, sizes.warmupS * 1000, sizes.produceS * 1000);
          written.set(scenario, { stream, records: r.totalRecords });
          rec(scenario, { recordBytes: bytes }, { mbps: r.mbps, recordsPerSec: r.recordsPerSec });
          log(`  ${cfg.id} ${scenario}: ${r.mbps.toFixed(1)} MB/s, ${Math.round(r.recordsPerSec)} records/s`);
        } else if (scenario === 'consume-100b' || scenario === 'fetch-1k') {
          const w = written.get(scenario === 'consume-100b' ? 'produce-100b' : 'produce-1k');
          if (!w) continue;
          const r = await consumeAll(w.stream, w.records);
          rec(scenario, { recordBytes: scenario === 'consume-100b' ? RECORD_100B : RECORD_1K }, { mbps: r.mbps, recordsPerSec: r.recordsPerSec });
          log(`  ${cfg.id} ${scenario}: ${r.mbps.toFixed(1)} MB/s, ${Math.round(r.recordsPerSec)} records/s`);
        } else {
          const stream = await system.openStream('s-latency', RECORD_1K);
          const rate = Math.round((sizes.latencyMbps * 1e6) / RECORD_1K);
          const r = await fixedRate(stream, RECORD_1K, rate, sizes.latencyS * 1000, sizes.latencyWarmupS * 1000, LATENCY_BATCH_BYTES, DRAIN_MS);
          rec(scenario, { recordBytes: RECORD_1K, targetMbps: sizes.latencyMbps, rate }, { rateRatio: r.recordsPerSec / rate, missing: r.missing, ...latencyMetrics(r.latency) });
          log(`  ${cfg.id} latency-1k at ${sizes.latencyMbps} MB/s: p50 ${r.latency.p50Ms.toFixed(3)} ms, p99 ${r.latency.p99Ms.toFixed(3)} ms, max ${r.latency.maxMs.toFixed(3)} ms${r.missing > 0 ? `, ${r.missing} missing` : ''}`);
        }
      }
    } catch (err) {
      const why = `${cfg.label}: failed in this run (${(err as Error).message.split('\n')[0]})`;
      log(`  ${why}`);
      if (!setup.skipped.includes(why)) setup.skipped.push(why);
    } finally {
      await system?.stop();
      scratch.sub(`peer-${cfg.id}`);
    }
  }
}
