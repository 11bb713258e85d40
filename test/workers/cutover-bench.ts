/**
 * Where offloading to the worker pool starts to pay: per-call latency of (de)compression,
 * batch-CRC checks and the record pass (recompressing a produced batch into a topic's codec)
 * on the calling thread vs. through WorkerPool, at several sizes.
 * Not a test (no .test.ts suffix). Run after a build, briefly (the machine is shared):
 *
 *   npx tsc -p tsconfig.json && node dist/test/workers/cutover-bench.js
 *
 * Both sides copy the input first each iteration: the pool call detaches its input, and
 * the copy keeps the two measurements comparable. Results go in docs/workers.md.
 */
import { cpus } from 'node:os';
import { Bench } from 'tinybench';
import { encodeBatch } from '../../src/format/batch-builder.js';
import { rewriteBatch } from '../../src/format/batch-rewrite.js';
import { crc32cBackend } from '../../src/format/crc32c.js';
import { compress } from '../../src/format/compression/index.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { checkBatchCrcs } from '../../src/workers/crc-check.js';

function text(n: number): Buffer {
  const b = Buffer.allocUnsafeSlow(n);
  for (let i = 0; i < n; i++) b[i] = 97 + ((i * 7 + (i >> 5)) % 26) * (i % 3 === 0 ? 1 : 0);
  return b;
}
function owned(b: Buffer): Buffer {
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

const pool = new WorkerPool({ threads: 1, compressBytesMin: 0, crcBytesMin: 0 });
const bench = new Bench({ time: 150, warmupTime: 30 });
const KiB = 1024;

for (const [name, codec] of [['gzip', 1], ['lz4', 3]] as const) {
  for (const size of [1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB]) {
    const data = text(size);
    bench.add(`${name} compress ${size / KiB} KiB inline`, () => {
      compress(codec, owned(data));
    });
    bench.add(`${name} compress ${size / KiB} KiB pool`, async () => {
      await pool.compress(codec, owned(data));
    });
  }
}
for (const size of [64 * KiB, 256 * KiB, 1024 * KiB, 4096 * KiB]) {
  const batches: Buffer[] = [];
  let n = 0;
  while (n < size) {
    const b = encodeBatch({ records: [{ value: text(16 * KiB - 100) }] });
    batches.push(b);
    n += b.length;
  }
  const buf = Buffer.concat(batches);
  bench.add(`crc ${size / KiB} KiB inline`, () => {
    checkBatchCrcs(owned(buf));
  });
  bench.add(`crc ${size / KiB} KiB pool`, async () => {
    await pool.verifyBatchCrcs(owned(buf));
  });
}

// The record pass as a compression.type=gzip / lz4 topic runs it on an uncompressed produced batch.
for (const [name, codec] of [['gzip', 1], ['lz4', 3]] as const) {
  for (const size of [16 * KiB, 64 * KiB, 256 * KiB]) {
    const records = Array.from({ length: size / 1024 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: text(1000) }));
    const batch = encodeBatch({ records });
    const rules = { requireKeys: false, timestampRange: null, targetCodec: codec, partition: 'bench-0' };
    bench.add(`recompress to ${name} ${size / KiB} KiB inline`, () => {
      rewriteBatch(owned(batch), rules);
    });
    bench.add(`recompress to ${name} ${size / KiB} KiB pool`, async () => {
      await pool.rewriteBatch(owned(batch), rules);
    });
  }
}

await bench.run();
console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, crc32c backend ${crc32cBackend}`);
console.log('| task | mean µs | p99 µs | samples |');
console.log('|---|---:|---:|---:|');
for (const t of bench.tasks) {
  const r = t.result as unknown as { latency?: { mean: number; p99: number; samplesCount: number } };
  const l = r.latency;
  if (l) console.log(`| ${t.name} | ${(l.mean * 1000).toFixed(1)} | ${(l.p99 * 1000).toFixed(1)} | ${l.samplesCount} |`);
}
await pool.close();
