/**
 * What bounds the end-to-end scenarios, measured in the same run on the same machine:
 *  - fdatasync'd sequential writes: the raw-disk baseline (baseline.ts `rawWrite`) with
 *    1 MiB writes, each followed by fdatasync, in the benchmark's data directory;
 *  - fdatasync latency: one batch-sized write + fdatasync at a time (p50/p99). A producer with
 *    B bytes in flight and acks that wait for fdatasync cannot go faster than B per
 *    fdatasync, whatever the disk's bandwidth: with the throughput settings (8 requests of one
 *    256 KiB batch) that is 2 MiB / fdatasync latency;
 *  - loopback TCP throughput, Node to Node like broker and client, both directions, and the
 *    limit is the faster: client to server (this process writes 1 MiB buffers with
 *    backpressure to a child that discards them; MB/s = bytes / time until the child has
 *    counted them all), and server to client (the child writes 1 MiB buffers for a while;
 *    this process reads them into one reused 1 MiB buffer with `onread`, as src/perf's
 *    consumer does, until the child closes);
 *  - loopback round trip: 100 bytes written, the same 100 bytes echoed back by the child,
 *    one at a time; p50/p99 over every round trip;
 *  - idle round trip: the same, but each after IDLE_GAP_MS with nothing to do, so that both
 *    processes (and, on a VM, the virtual CPUs) have gone idle and must be woken, as between
 *    the records of a fixed-rate run. Every hop of an end-to-end record (producer -> broker,
 *    the fdatasync thread -> the broker's event loop, broker -> consumer) pays such a wake-up.
 * Every end-to-end result is reported as a ratio of the limit that bounds it.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { rawWrite } from './baseline.js';
import { BatchSlab, batchShape } from './data.js';
import { StopRule } from './flush-policy.js';
import { LatencySamples } from './latency.js';
import type { Mode } from './options.js';
import { startChild } from './processes.js';
import type { Results } from './results.js';
import type { ScratchDir } from './scratch-dir.js';
import { repoRoot } from './scratch-dir.js';

const MiB = 1 << 20;
/** Bytes of each round-trip message. */
export const RTT_MESSAGE_BYTES = 100;
/** Bytes of each write of the throughput test and of the fdatasync'd baseline. */
export const LIMIT_WRITE_BYTES = MiB;
/**
 * Producer settings of the as-fast-as-possible scenarios, for Tributary and the peers alike:
 * 512 KiB batches, 16 requests in flight per connection (batch.size=524288,
 * max.in.flight.requests.per.connection=16: 8 MiB in flight, within the Java producer's
 * default buffer.memory of 32 MiB) — a producer tuned for throughput against a broker whose
 * acks wait for fdatasync, rather than the latency-leaning defaults (16 KiB, 5) that cap one
 * producer at its bytes in flight per fdatasync. docs/performance.md shows how throughput
 * follows the bytes in flight.
 */
export const THROUGHPUT_BATCH_BYTES = 524_288;
export const THROUGHPUT_INFLIGHT = 16;
/** Pause before each idle round trip (long enough for the CPUs to go idle). */
export const IDLE_GAP_MS = 2;
/** Bytes of each write of the fdatasync latency test: one producer batch. */
export const SYNC_WRITE_BYTES = THROUGHPUT_BATCH_BYTES;
/** Bytes one producer keeps in flight in the throughput scenarios (one batch per request). */
export const INFLIGHT_BYTES = THROUGHPUT_BATCH_BYTES * THROUGHPUT_INFLIGHT;

export interface LimitSizes {
  /** fdatasync'd writes stop at whichever comes first. */
  writeBytesMax: number;
  writeMsMax: number;
  /** fdatasync latency: write + fdatasync for this long. */
  syncMs: number;
  /** Loopback throughput: write for this long. */
  tcpMs: number;
  /** Round trips: warm-up count, then measure for this long. */
  rttWarmup: number;
  rttMs: number;
  /** Idle round trips measured. */
  idleRoundTrips: number;
}

export const LIMIT_SIZES: Record<Mode, LimitSizes> = {
  full: { writeBytesMax: 512 * MiB, writeMsMax: 2000, syncMs: 1000, tcpMs: 1500, rttWarmup: 2000, rttMs: 1500, idleRoundTrips: 400 },
  quick: { writeBytesMax: 16 * MiB, writeMsMax: 200, syncMs: 200, tcpMs: 200, rttWarmup: 200, rttMs: 200, idleRoundTrips: 50 },
  tiny: { writeBytesMax: 2 * MiB, writeMsMax: 50, syncMs: 30, tcpMs: 50, rttWarmup: 20, rttMs: 50, idleRoundTrips: 10 },
};

export interface LimitsRun {
  fsyncWriteMbps: number;
  syncP50Ms: number;
  syncP99Ms: number;
  tcpMbps: number;
  rttP50Us: number;
  rttP99Us: number;
  idleRttP50Us: number;
  idleRttP99Us: number;
}

/** The compiled loopback peer (dist/), run with this Node. */
function loopbackPeerPath(): string {
  const p = path.join(repoRoot(), 'dist', 'native-free-bench', 'loopback-peer.js');
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: build first (make build)`);
  return p;
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await once(s, 'connect');
  return s;
}

/** MB/s of 1 MiB writes to the sink for `ms`, counted when the sink has received them all. */
export async function loopbackThroughput(port: number, ms: number): Promise<number> {
  const s = await connect(port);
  const chunk = Buffer.alloc(LIMIT_WRITE_BYTES, 0x61);
  const reply: Buffer[] = [];
  s.on('data', (b: Buffer) => reply.push(b));
  const ended = once(s, 'end');
  let sent = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    sent += chunk.length;
    if (!s.write(chunk)) await once(s, 'drain');
  }
  s.end();
  await ended;
  const elapsed = performance.now() - t0;
  s.destroy();
  const counted = Number(Buffer.concat(reply).toString().trim());
  if (counted !== sent) throw new Error(`loopback sink counted ${counted} bytes of ${sent}`);
  return sent / 1e6 / (elapsed / 1000);
}

/** MB/s the source server sends for `ms`, read here into one reused buffer (`onread`). */
export async function loopbackThroughputFromServer(port: number, ms: number): Promise<number> {
  let received = 0;
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer: Buffer.allocUnsafe(LIMIT_WRITE_BYTES), callback: (n: number) => ((received += n), true) } });
  await once(s, 'connect');
  const closed = once(s, 'close');
  const t0 = performance.now();
  s.write(`${ms}\n`);
  await closed;
  const elapsed = performance.now() - t0;
  if (received === 0) throw new Error('loopback source sent nothing');
  return received / 1e6 / (elapsed / 1000);
}

/**
 * Round trips of RTT_MESSAGE_BYTES through the echo server, one at a time: back to back for
 * `ms` (after `warmup`), or with `gapMs` of idleness before each, `count` of them.
 */
export async function loopbackRoundTrips(port: number, warmup: number, ms: number, idle?: { gapMs: number; count: number }): Promise<LatencySamples> {
  const s = await connect(port);
  const msg = Buffer.alloc(RTT_MESSAGE_BYTES, 0x62);
  let pending = 0;
  let wake: () => void = () => {};
  s.on('data', (b: Buffer) => {
    pending -= b.length;
    if (pending <= 0) wake();
  });
  const roundTrip = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      pending = msg.length;
      s.write(msg);
    });
  try {
    for (let i = 0; i < warmup; i++) await roundTrip();
    const samples = new LatencySamples();
    if (idle) {
      for (let i = 0; i < idle.count; i++) {
        await new Promise((r) => setTimeout(r, idle.gapMs));
        const t = performance.now();
        await roundTrip();
        samples.push(performance.now() - t);
      }
      return samples;
    }
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      const t = performance.now();
      await roundTrip();
      samples.push(performance.now() - t);
    }
    return samples;
  } finally {
    s.destroy();
  }
}

/** fdatasync'd sequential writes of LIMIT_WRITE_BYTES, with the storage benchmark's baseline. */
export function fsyncWriteMbps(dir: string, sizes: LimitSizes): number {
  const shape = batchShape(1024, LIMIT_WRITE_BYTES, 1);
  const stop = new StopRule(1, sizes.writeBytesMax, sizes.writeMsMax);
  const slab = new BatchSlab(shape, stop.slabBytes(shape.templates[0]!.length));
  return rawWrite(dir, slab, 1, stop).mbps;
}

/** SYNC_WRITE_BYTES written then fdatasynced, one at a time, for `ms`: each write+sync's duration. */
export function fdatasyncLatency(dir: string, ms: number): LatencySamples {
  const file = path.join(dir, 'sync-latency.bin');
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(SYNC_WRITE_BYTES, 0x63);
  const samples = new LatencySamples();
  try {
    const t0 = performance.now();
    do {
      const t = performance.now();
      fs.writeSync(fd, buf);
      fs.fdatasyncSync(fd);
      samples.push(performance.now() - t);
    } while (performance.now() - t0 < ms);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return samples;
}

/** One run of the limits, recorded in `results` (group 'limits'). */
export async function benchLimits(mode: Mode, results: Results, scratch: ScratchDir): Promise<LimitsRun> {
  const sizes = LIMIT_SIZES[mode];
  const fsyncMbps = fsyncWriteMbps(scratch.sub('limits-write'), sizes);
  const sync = fdatasyncLatency(scratch.sub('limits-write'), sizes.syncMs).summary();
  scratch.sub('limits-write');
  const { child, value: ports } = await startChild(process.execPath, [loopbackPeerPath()], (line) => {
    try {
      return JSON.parse(line) as { sink: number; echo: number; source: number };
    } catch {
      return undefined;
    }
  });
  try {
    const toServerMbps = await loopbackThroughput(ports.sink, sizes.tcpMs);
    const fromServerMbps = await loopbackThroughputFromServer(ports.source, sizes.tcpMs);
    const tcpMbps = Math.max(toServerMbps, fromServerMbps);
    const rtt = (await loopbackRoundTrips(ports.echo, sizes.rttWarmup, sizes.rttMs)).summary();
    const idle = (await loopbackRoundTrips(ports.echo, 0, 0, { gapMs: IDLE_GAP_MS, count: sizes.idleRoundTrips })).summary();
    const run: LimitsRun = {
      fsyncWriteMbps: fsyncMbps,
      syncP50Ms: sync.p50Ms,
      syncP99Ms: sync.p99Ms,
      tcpMbps,
      rttP50Us: rtt.p50Ms * 1000,
      rttP99Us: rtt.p99Ms * 1000,
      idleRttP50Us: idle.p50Ms * 1000,
      idleRttP99Us: idle.p99Ms * 1000,
    };
    results.record('limits', 'fsync-write', { writeBytes: LIMIT_WRITE_BYTES }, { mbps: run.fsyncWriteMbps });
    results.record('limits', 'fdatasync', { writeBytes: SYNC_WRITE_BYTES, syncs: sync.count }, {
      p50Ms: run.syncP50Ms,
      p99Ms: run.syncP99Ms,
      inflightBoundMbps: INFLIGHT_BYTES / 1e6 / (run.syncP50Ms / 1000),
    });
    results.record('limits', 'tcp', { writeBytes: LIMIT_WRITE_BYTES }, { mbps: run.tcpMbps, toServerMbps, fromServerMbps });
    results.record('limits', 'rtt', { messageBytes: RTT_MESSAGE_BYTES, roundTrips: rtt.count }, { p50Us: run.rttP50Us, p99Us: run.rttP99Us });
    results.record('limits', 'rtt-idle', { messageBytes: RTT_MESSAGE_BYTES, roundTrips: idle.count, gapMs: IDLE_GAP_MS }, { p50Us: run.idleRttP50Us, p99Us: run.idleRttP99Us });
    return run;
  } finally {
    await child.stop();
  }
}
