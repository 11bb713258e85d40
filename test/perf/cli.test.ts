/**
 * `tributary perf` argument parsing (clear errors, exit status 2) and the JSON result's
 * documented shape (docs/perf.md "Output"), in-process and once through the built binary.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerfResult } from '../../src/perf/index.js';
import { parsePerfArgs, perfMain } from '../../src/perf/index.js';
import { CLIENT_VERSIONS } from '../../src/perf/cluster.js';
import { zstdBackend } from '../../src/format/index.js';
import { SUPPORTED_APIS } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';
import { tmpDir } from '../helpers/tmp-dir.js';

function capture(): { io: { stdout: PassThrough; stderr: PassThrough }; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return { io: { stdout, stderr }, out: () => o, err: () => e };
}

async function usageError(argv: string[]): Promise<string> {
  const c = capture();
  expect(await perfMain(argv, c.io)).toBe(2);
  return c.err();
}

describe('argument parsing', () => {
  it('maps every flag onto PerfOptions', () => {
    const a = parsePerfArgs([
      'e2e', '--bootstrap', 'kafka-1:9093', '--topic', 't', '--partitions', '6', '--record-size', '1k', '--key-distribution', 'zipf:1000:0.5',
      '--acks', 'all', '--compression', 'snappy', '--batch-size', '64k', '--linger-ms', '2.5', '--rate', '10_000', '--duration', '3', '--records', '1e5',
      '--producers', '2', '--consumers', '3', '--max-inflight', '8', '--warmup', '1', '--fetch-max-wait-ms', '100', '--drain-timeout-ms', '500',
      '--seed', '9', '--json', 'out.json', '--progress',
    ]);
    expect(a.mode).toBe('e2e');
    expect(a.json).toBe('out.json');
    expect(a.progress).toBe(true);
    expect(a.options).toMatchObject({
      bootstrap: 'kafka-1:9093', topic: 't', partitions: 6, recordSizeBytes: 1024, keyDistribution: { kind: 'zipf', keys: 1000, exponent: 0.5 },
      acks: -1, compression: 'snappy', batchSizeBytes: 65536, lingerMs: 2.5, rate: 10000, durationS: 3, records: 100000, producers: 2, consumers: 3,
      maxInflight: 8, warmupS: 1, fetchMaxWaitMs: 100, drainTimeoutMs: 500, seed: 9,
    });
  });

  it('rejects mistakes with a message naming the option, exit status 2', async () => {
    expect(await usageError([])).toMatch(/missing command: produce, consume or e2e/);
    expect(await usageError(['bench'])).toMatch(/unknown perf command 'bench'/);
    expect(await usageError(['produce', '--rate', 'fast'])).toMatch(/--rate must be a number, got 'fast'/);
    expect(await usageError(['produce', '--rate', '-5'])).toMatch(/--rate must be a number in \[0, .*got -5/);
    expect(parsePerfArgs(['produce', '--acks', '-1']).options.acks).toBe(-1);
    expect(await usageError(['produce', '--acks', '2'])).toMatch(/--acks must be 0, 1, -1 or all, got '2'/);
    expect(await usageError(['produce', '--compression', 'brotli'])).toMatch(/--compression must be one of none, gzip, snappy, lz4, zstd/);
    if (zstdBackend) expect(parsePerfArgs(['produce', '--compression', 'zstd']).options.compression).toBe('zstd');
    else expect(await usageError(['produce', '--compression', 'zstd'])).toMatch(/--compression zstd needs/);
    expect(await usageError(['produce', '--key-distribution', 'zipf:10:2'])).toMatch(/--key-distribution .*S must be in \(0, 1\)/);
    expect(await usageError(['produce', '--key-distribution', 'gauss:5'])).toMatch(/unknown distribution/);
    expect(await usageError(['produce', '--batch-size', '12q'])).toMatch(/--batch-size must be a byte count/);
    expect(await usageError(['produce', '--producers', '0'])).toMatch(/--producers must be an integer in \[1, 1024\], got 0/);
    expect(await usageError(['produce', '--bootstrap', 'localhost'])).toMatch(/--bootstrap must be host:port, got 'localhost'/);
    expect(await usageError(['produce', '--consumers', '2'])).toMatch(/--consumers does not apply to perf produce/);
    expect(await usageError(['consume', '--acks', '1'])).toMatch(/--acks does not apply to perf consume/);
    expect(await usageError(['e2e', '--record-size', '4'])).toMatch(/--record-size must be at least 8 for e2e/);
    expect(await usageError(['produce', '--nope'])).toMatch(/Unknown option '--nope'/);
    expect(await usageError(['produce', '--progress', '--no-progress'])).toMatch(/exclude each other/);
  });

  it('--help prints the usage', async () => {
    const c = capture();
    expect(await perfMain(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/usage: tributary perf produce\|consume\|e2e/);
    for (const flag of ['--bootstrap', '--key-distribution', '--linger-ms', '--max-inflight', '--warmup', '--json', '--progress']) expect(c.out()).toContain(flag);
  });
});

describe('against a broker', () => {
  let env: Awaited<ReturnType<typeof testBroker>>;
  let bootstrap: string;
  const t = tmpDir('tributary-perf-cli-');
  beforeAll(async () => {
    env = await testBroker();
    bootstrap = `127.0.0.1:${env.broker.port}`;
  });
  afterAll(async () => {
    await env?.stop();
    t.cleanup();
  });

  it('writes a JSON result of the documented shape and a text report', async () => {
    const file = path.join(t.dir, 'out.json');
    const c = capture();
    const status = await perfMain(['e2e', '--bootstrap', bootstrap, '--topic', 'cli', '--rate', '200', '--duration', '0.5', '--json', file, '--progress'], c.io);
    expect(c.err()).not.toMatch(/tributary perf:/);
    expect(status).toBe(0);
    expect(c.out()).toMatch(/^tributary perf e2e: /);
    expect(c.out()).toMatch(/produce latency: p50 .* p99\.9 .* max/);
    expect(c.out()).toMatch(/end-to-end latency: p50/);
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as PerfResult;
    expect(Object.keys(r).sort()).toEqual(['aborted', 'consume', 'e2e', 'elapsedS', 'histogram', 'mode', 'options', 'produce', 'schemaVersion', 'startedAt', 'target', 'tool', 'warmupS', 'warnings'].sort());
    expect(r).toMatchObject({ tool: 'tributary-perf', schemaVersion: 1, mode: 'e2e', aborted: false });
    expect(r.target).toMatchObject({ bootstrap, topic: 'cli', partitions: 1, topicCreated: true });
    // The highest version both sides speak: the broker's ranges come from ApiVersions.
    const want = Object.fromEntries(Object.entries(CLIENT_VERSIONS).map(([api, [, max]]) => [api, Math.min(max, SUPPORTED_APIS.find((a) => a.name === api)!.maxVersion)]));
    expect(r.target.apiVersions).toEqual(want);
    expect(r.target.apiVersions.Produce).toBeGreaterThanOrEqual(7);
    expect(r.target.apiVersions.Fetch).toBeGreaterThanOrEqual(11);
    const latencyKeys = ['count', 'minMs', 'meanMs', 'p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs'];
    expect(Object.keys(r.produce!.latencyMs!)).toEqual(latencyKeys);
    expect(Object.keys(r.consume!.fetchLatencyMs)).toEqual(latencyKeys);
    expect(Object.keys(r.e2e!.latencyMs)).toEqual(latencyKeys);
    expect(Object.keys(r.produce!).sort()).toEqual(
      ['records', 'bytes', 'payloadBytes', 'batches', 'requests', 'recordsPerSec', 'mibPerSec', 'payloadMibPerSec', 'latencyMs', 'warmupRecords', 'errors', 'durationS'].sort(),
    );
    expect(Object.keys(r.consume!).sort()).toEqual(['records', 'bytes', 'fetches', 'emptyFetches', 'recordsPerSec', 'mibPerSec', 'fetchLatencyMs', 'warmupRecords', 'errors', 'durationS'].sort());
    expect(r.options).toMatchObject({ rate: 200, durationS: 0.5, recordSizeBytes: 100, acks: -1 });
  });

  it('the built `tributary perf` command runs (JSON to stdout with --json -)', async () => {
    const cli = path.resolve('dist/src/cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'perf', 'produce', '--bootstrap', bootstrap, '--topic', 'bin', '--records', '300', '--json', '-'], { timeout: 30_000 });
    const r = JSON.parse(stdout) as PerfResult;
    expect(r.produce!.records).toBe(300);
  });

  it('an unreachable broker fails with exit status 1 and says so', async () => {
    const c = capture();
    expect(await perfMain(['produce', '--bootstrap', '127.0.0.1:1', '--records', '1'], c.io)).toBe(1);
    expect(c.err()).toMatch(/cannot connect to broker 127\.0\.0\.1:1/);
  });
});
