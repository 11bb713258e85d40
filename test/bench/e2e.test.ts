/**
 * Smoke tests of the end-to-end benchmark pieces (native-free-bench/: limits, broker
 * process, Tributary scenarios, peer driver, report sections, latency chart) on tiny sizes.
 * They check that the harness works and reports sane numbers, never how fast anything is.
 * Real peers (redis-server, nats-server) are not started here: the driver runs against an
 * in-memory stream instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLatencyChart } from '../../native-free-bench/chart-svg.js';
import { benchE2e } from '../../native-free-bench/e2e-bench.js';
import { e2eGroups, e2eSections, latencyChart, noiseWorthy } from '../../native-free-bench/e2e-report.js';
import { LatencySamples } from '../../native-free-bench/latency.js';
import type { LimitsRun } from '../../native-free-bench/limits.js';
import { benchLimits } from '../../native-free-bench/limits.js';
import { machineInfo } from '../../native-free-bench/machine.js';
import { SIZES, parseArgs } from '../../native-free-bench/options.js';
import type { PeerReader, PeerStream } from '../../native-free-bench/peers/driver.js';
import { consumeAll, fixedRate, produceMax } from '../../native-free-bench/peers/driver.js';
import { renderMarkdown } from '../../native-free-bench/report.js';
import { Results } from '../../native-free-bench/results.js';
import type { ScratchDir } from '../../native-free-bench/scratch-dir.js';
import { createScratchDir } from '../../native-free-bench/scratch-dir.js';
import { tmpDir } from '../helpers/tmp-dir.js';

describe('pieces', () => {
  it('e2e pulls in limits, in group order', () => {
    expect(e2eGroups(['e2e'])).toEqual(['limits', 'e2e']);
    expect(e2eGroups(['peers', 'crc'])).toEqual(['crc', 'peers']);
    expect(parseArgs(['--only', 'limits,e2e,peers']).groups).toEqual(['limits', 'e2e', 'peers']);
  });

  it('noise lists the primary end-to-end metrics only', () => {
    expect(noiseWorthy('e2e', 'mbps')).toBe(true);
    expect(noiseWorthy('e2e', 'loopP99Ms')).toBe(false);
    expect(noiseWorthy('peers', 'clientCpu')).toBe(false);
    expect(noiseWorthy('storage', 'anything')).toBe(true);
  });

  it('latency samples: nearest-rank percentiles', () => {
    const s = new LatencySamples();
    for (let i = 1000; i >= 1; i--) s.push(i);
    expect(s.summary()).toMatchObject({ count: 1000, minMs: 1, p50Ms: 500, p90Ms: 900, p99Ms: 990, p999Ms: 999, maxMs: 1000, meanMs: 500.5 });
    expect(new LatencySamples().summary().count).toBe(0);
  });

  it('chart: one polyline per series, log axis, escaped labels', () => {
    const svg = renderLatencyChart('t', ['p50', 'p90', 'p99', 'p99.9', 'max'], [
      { label: 'a <1>', values: [0.05, 0.1, 1, 10, 100] },
      { label: 'b', values: [1, 2, 3, 4, 5000] },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('a &lt;1&gt;');
    expect(svg).toContain('10 µs');
    expect(svg).toContain('100 ms');
    expect(svg).toContain('10 s');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
});

/** A stream in memory: appends resolve on the next turn, readers see every value once. */
function memoryStream(): PeerStream {
  const values: Buffer[] = [];
  const readers = new Set<() => void>();
  return {
    async append(vs) {
      await new Promise((r) => setImmediate(r));
      values.push(...vs.map((v) => Buffer.from(v)));
      for (const wake of readers) wake();
    },
    read(onValue): PeerReader {
      let stopped = false;
      let pos = 0;
      let wake: () => void = () => {};
      const done = (async () => {
        while (!stopped) {
          while (pos < values.length) onValue(values[pos++]!);
          await new Promise<void>((r) => {
            wake = r;
            readers.add(r);
            setTimeout(r, 5);
          });
          readers.delete(wake);
        }
      })();
      return { stop: () => ((stopped = true), wake()), done };
    },
    async close() {},
  };
}

describe('peer driver (in-memory stream)', () => {
  it('produceMax, then consumeAll reads exactly what was acknowledged', async () => {
    const s = memoryStream();
    const p = await produceMax(s, 100, 20, 50);
    expect(p.records).toBeGreaterThan(0);
    expect(p.totalRecords).toBeGreaterThanOrEqual(p.records);
    expect(p.mbps).toBeGreaterThan(0);
    const c = await consumeAll(s, p.totalRecords);
    expect(c.records).toBe(p.totalRecords);
    expect(c.bytes).toBe(p.totalRecords * 100);
  });

  it('fixedRate: every record read, percentiles ordered', async () => {
    const r = await fixedRate(memoryStream(), 64, 2000, 200, 50);
    expect(r.missing).toBe(0);
    expect(r.records).toBe(400);
    const l = r.latency;
    expect(l.count).toBe(400);
    expect(l.p50Ms).toBeGreaterThan(0);
    expect(l.p99Ms).toBeGreaterThanOrEqual(l.p50Ms);
    expect(l.maxMs).toBeGreaterThanOrEqual(l.p999Ms);
  });
});

describe('limits and Tributary scenarios on tiny sizes (broker in a child process)', () => {
  const results = new Results();
  let scratch: ScratchDir;
  let cleanup: () => void;
  let limits: LimitsRun;

  beforeAll(() => {
    const t = tmpDir('tributary-bench-e2e-');
    cleanup = t.cleanup;
    scratch = createScratchDir(t.dir);
  });
  afterAll(() => cleanup());

  it('limits: fdatasync, loopback TCP and round trip are positive', async () => {
    limits = await benchLimits('tiny', results, scratch);
    for (const v of Object.values(limits)) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(limits.syncP99Ms).toBeGreaterThanOrEqual(limits.syncP50Ms);
    expect(limits.idleRttP99Us).toBeGreaterThanOrEqual(limits.idleRttP50Us);
    expect(results.all('limits').map((m) => m.key).sort()).toEqual(['fdatasync', 'fsync-write', 'rtt', 'rtt-idle', 'tcp']);
  });

  it('every scenario reports, with ratios and the broker event-loop delay', async () => {
    const logs: string[] = [];
    await benchE2e({ mode: 'tiny', results, scratch, limits, log: (m) => logs.push(m) });
    const keys = results.all('e2e').map((m) => m.key);
    expect(keys).toEqual(['produce-1k-acks1', 'produce-1k-acksall', 'produce-100b', 'consume-100b', 'fetch-1k', 'latency-1k', 'produce-1k-relaxed', 'produce-100b-relaxed']);
    for (const key of ['produce-1k-acks1', 'produce-100b', 'consume-100b', 'fetch-1k']) {
      const m = results.get('e2e', key)!;
      expect(m.values.mbps![0]!, key).toBeGreaterThan(0);
      expect(m.values.ratio![0]!, key).toBeGreaterThan(0);
      expect(m.values.loopMaxMs?.[0], key).toBeGreaterThanOrEqual(0);
    }
    const lat = results.get('e2e', 'latency-1k')!.values;
    expect(lat.missing![0]).toBe(0);
    expect(lat.e2eP99Ms![0]!).toBeGreaterThanOrEqual(lat.e2eP50Ms![0]!);

    const options = { ...parseArgs(['--quick', '--only', 'e2e']), sizes: SIZES.tiny, runs: 1 };
    const input = { options, machine: machineInfo(scratch.dir), startedAt: new Date(), durationMs: 1, crcBackend: 'js', backends: [], dataDir: scratch.dir, loadAverageEnd: [0, 0, 0], results, peers: { configs: [], skipped: ['Redis Streams: not here'] } };
    const md = e2eSections(input).join('\n');
    for (const h of ['## Machine limits', '## End to end: Tributary broker on loopback', '## Latency percentiles', '## Peers side by side', 'Redis Streams: not here']) expect(md).toContain(h);
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
    expect(renderMarkdown(input)).toContain('## Machine limits');
    const chart = latencyChart(input)!;
    expect(chart.file).toBe('quick-latency.svg');
    expect(chart.svg).toContain('Tributary e2e');
  });
});
