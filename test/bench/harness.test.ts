/**
 * Smoke test of the benchmark harness (native-free-bench/): every scenario runs on tiny
 * sizes and reports sane numbers, and the report renders them. It checks that the harness
 * works, not how fast anything is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSlab, batchShape, logText } from '../../native-free-bench/data.js';
import type { EngineBackend } from '../../native-free-bench/engine.js';
import { availableBackends } from '../../native-free-bench/engine.js';
import { StopRule, batchesPerSync, topicConfig } from '../../native-free-bench/flush-policy.js';
import { benchIndex } from '../../native-free-bench/index-bench.js';
import { machineInfo } from '../../native-free-bench/machine.js';
import { SIZES, parseArgs } from '../../native-free-bench/options.js';
import { benchBatch, benchCompression, benchCrc } from '../../native-free-bench/primitives.js';
import { renderJson, renderMarkdown } from '../../native-free-bench/report.js';
import { Results } from '../../native-free-bench/results.js';
import type { ScratchDir } from '../../native-free-bench/scratch-dir.js';
import { createScratchDir } from '../../native-free-bench/scratch-dir.js';
import { median, summarize } from '../../native-free-bench/stats.js';
import { benchStorage } from '../../native-free-bench/storage-bench.js';
import { benchZstd } from '../../native-free-bench/zstd-bench.js';
import { runAll } from '../../native-free-bench/suite.js';
import { DeflatedBatch, zstdBackend } from '../../src/format/index.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const sizes = SIZES.tiny;

/** Every metric of every measurement in `group` is a finite number > 0, one value per run. */
function expectSane(results: Results, group: Parameters<Results['all']>[0], runs = 1): void {
  const list = results.all(group);
  expect(list.length).toBeGreaterThan(0);
  for (const m of list) {
    for (const [metric, values] of Object.entries(m.values)) {
      expect(values, `${m.group}/${m.key} ${metric}`).toHaveLength(runs);
      for (const v of values) {
        expect(Number.isFinite(v), `${m.group}/${m.key} ${metric} = ${v}`).toBe(true);
        expect(v, `${m.group}/${m.key} ${metric}`).toBeGreaterThan(0);
      }
    }
  }
}

describe('stats', () => {
  it('median, min, max and spread', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([10, 12, 8])).toEqual({ median: 10, min: 8, max: 12, spread: 0.4, runs: 3 });
    expect(summarize([]).runs).toBe(0);
  });
});

describe('options', () => {
  it('defaults to the full run, 3 runs, docs/benchmarks.md', () => {
    const o = parseArgs([]);
    expect(o.sizes.mode).toBe('full');
    expect(o.runs).toBe(3);
    expect(o.out).toBe('docs/benchmarks.md');
    expect(o.json).toBeNull();
  });
  it('parses --quick, --only, --runs, --out, --json', () => {
    const o = parseArgs(['--quick', '--only', 'crc,storage', '--runs', '2', '--out', 'x.md', '--json', 'x.json']);
    expect(o).toMatchObject({ groups: ['crc', 'storage'], runs: 2, out: 'x.md', json: 'x.json' });
    expect(o.sizes.mode).toBe('quick');
    expect(o.command).toBe('node dist/native-free-bench/run.js --quick --only crc,storage --runs 2 --out x.md --json x.json');
  });
  it('keeps quick numbers out of docs/ unless told otherwise', () => {
    expect(parseArgs(['--quick']).out).not.toMatch(/^docs\//);
  });
  it('rejects unknown groups and arguments', () => {
    expect(() => parseArgs(['--only', 'nope'])).toThrow(/unknown group/);
    expect(() => parseArgs(['--runs', '0'])).toThrow(/positive integer/);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown argument/);
  });
});

describe('data', () => {
  it('log text is neither random nor constant', () => {
    const text = logText(4096);
    expect(text).toHaveLength(4096);
    expect(text.toString('utf8', 0, 2)).toBe('{"');
    expect(new Set(text).size).toBeGreaterThan(20);
  });
  it('batch shapes fit their nominal size and slabs hold fresh copies', () => {
    const shape = batchShape(100, 16 * 1024);
    for (const t of shape.templates) {
      expect(t.length).toBeLessThanOrEqual(16 * 1024);
      expect(t.length).toBe(shape.templates[0]!.length);
      const b = new DeflatedBatch(t);
      b.verifyCrc();
      expect(b.recordCount).toBe(shape.recordsPerBatch);
    }
    const slab = new BatchSlab(shape, 100 * 1024);
    expect(slab.totalBytes).toBeGreaterThanOrEqual(100 * 1024);
    expect(slab.batches[0]!.buffer).not.toBe(shape.templates[0]!.buffer);
    expect(slab.batches[0]!.equals(shape.templates[0]!)).toBe(true);
  });
  it('flush policies sync the engine and the baseline after the same batches', () => {
    const shape = batchShape(100, 64 * 1024);
    const every = batchesPerSync('every-1MiB', shape)!;
    expect(every).toBe(16);
    expect(topicConfig('every-1MiB', shape)['flush.messages']).toBe(every * shape.recordsPerBatch);
    expect(topicConfig('every-append', shape)['flush.messages']).toBe(1);
    const stop = new StopRule(every, 0, 0);
    expect(stop.done(15, 1, 1)).toBe(false);
    expect(stop.done(16, 1, 1)).toBe(true);
  });
});

describe('scenarios on tiny sizes', () => {
  const results = new Results();
  let scratch: ScratchDir;
  let cleanup: () => void;
  let backends: EngineBackend[];

  beforeAll(async () => {
    const t = tmpDir('tributary-bench-');
    cleanup = t.cleanup;
    scratch = createScratchDir(t.dir);
    backends = await availableBackends(scratch);
  });
  afterAll(() => cleanup());

  it('crc', async () => {
    await benchCrc(sizes, results);
    expectSane(results, 'crc');
  });

  it('compression', async () => {
    await benchCompression(sizes, results);
    expectSane(results, 'compression');
    expect(results.all('compression').map((m) => m.params.codec)).toEqual(expect.arrayContaining(['gzip', 'lz4']));
    // Log text compresses, but not to nothing.
    for (const m of results.all('compression')) expect(m.values.ratio![0]!).toBeLessThan(0.8);
  });

  it('zstd backends: each loaded backend at levels 1 and 3', async () => {
    await benchZstd(sizes, results);
    expectSane(results, 'zstd');
    const backends = new Set(results.all('zstd').map((m) => m.params.backend));
    expect(backends.has('wasm')).toBe(true); // a dependency: always there
    if (zstdBackend === 'native') expect(backends.has('native')).toBe(true);
    expect(results.all('zstd').map((m) => m.params.level)).toEqual(expect.arrayContaining([1, 3]));
  });

  it('batch', async () => {
    await benchBatch(sizes, results);
    expectSane(results, 'batch');
  });

  it('index', async () => {
    await benchIndex(sizes, results, scratch, backends);
    expectSane(results, 'index');
    expect(results.all('index')).toHaveLength(backends.length);
  });

  it('storage: every cell next to its baseline, with finite ratios', async () => {
    await benchStorage({ sizes, results, scratch, backends, run: 0 });
    expectSane(results, 'storage');
    const cells = results.all('storage').filter((m) => m.key.startsWith(`${backends[0]}/`));
    expect(cells).toHaveLength(4 * sizes.recordBytes.length * sizes.batchBytes.length);
    for (const m of cells) expect(Number.isFinite(m.values.ratio![0]!)).toBe(true);
    expect(results.get('storage', `read/${backends[0]}/100/65536`)!.values.copyMbps![0]!).toBeGreaterThan(0);
    // Nothing is left behind in the scratch directory but empty cell directories.
    for (const name of fs.readdirSync(scratch.dir)) expect(fs.readdirSync(path.join(scratch.dir, name))).toEqual([]);
  });

  it('report renders every group with the machine and the command', () => {
    const options = { ...parseArgs(['--quick']), sizes, runs: 1 };
    const input = {
      options,
      machine: machineInfo(scratch.dir),
      startedAt: new Date(),
      durationMs: 1000,
      crcBackend: 'js',
      backends,
      dataDir: scratch.dir,
      loadAverageEnd: [0, 0, 0],
      results,
    };
    const md = renderMarkdown(input);
    for (const heading of ['## Machine', '## Append throughput', '## Sequential reads', '## CRC-32C', '## Compression codecs', '## Record batches', '## Offset lookups', '## Noise']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain(options.command);
    expect(md).toContain('every-append, 8 in flight');
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
    const json = JSON.parse(renderJson(input)) as { measurements: unknown[] };
    expect(json.measurements.length).toBe(results.all().length);
  });
});

describe('runAll', () => {
  it('writes the report and the JSON, and removes its scratch directory', async () => {
    const t = tmpDir('tributary-bench-run-');
    try {
      const options = { ...parseArgs(['--only', 'crc', '--runs', '2', '--out', path.join(t.dir, 'b.md'), '--json', path.join(t.dir, 'b.json')]), sizes };
      const logs: string[] = [];
      const md = await runAll(options, (m) => logs.push(m), t.dir);
      expect(fs.readFileSync(path.join(t.dir, 'b.md'), 'utf8')).toBe(md);
      expect(md).toMatch(/median of 2 runs/);
      expect(JSON.parse(fs.readFileSync(path.join(t.dir, 'b.json'), 'utf8'))).toMatchObject({ runs: 2, groups: ['crc'] });
      expect(fs.readdirSync(t.dir).sort()).toEqual(['b.json', 'b.md']);
      expect(logs.some((l) => l.includes('run 2/2 crc'))).toBe(true);
    } finally {
      t.cleanup();
    }
  });
});
