/**
 * Hot primitives, each against its alternative: CRC-32C native vs JS, the compression
 * codecs, batch encode/decode and DeflatedBatch.verifyCrc. One call = one run; run.ts repeats.
 */
import {
  DeflatedBatch,
  compress,
  crc32cAddon,
  crc32cBackend,
  crc32cJs,
  crc32cNative,
  decodeBatch,
  decompress,
  encodeBatch,
  isCodecSupported,
} from '../src/format/index.js';
import { createRequire } from 'node:module';
import { encodeBatchUpTo, logText, makeRecords } from './data.js';
import type { Sizes } from './options.js';
import type { Results } from './results.js';
import type { PrimitiveTask } from './tinybench-runner.js';
import { runTasks } from './tinybench-runner.js';

export const CODECS = [
  { id: 1, name: 'gzip' },
  { id: 2, name: 'snappy' },
  { id: 3, name: 'lz4' },
  { id: 4, name: 'zstd' },
] as const;

export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** The sse4_crc32 addon by itself (the second-choice backend), when it loads. */
function sse4Crc(): ((b: Buffer) => number) | null {
  try {
    const mod = createRequire(import.meta.url)('sse4_crc32') as { calculate(b: Buffer, seed?: number): number };
    return (b) => mod.calculate(b, 0) >>> 0;
  } catch {
    return null;
  }
}

/** CRC-32C: the JS slicing-by-8 path vs the native backend in use, and sse4_crc32 by itself. */
export async function benchCrc(sizes: Sizes, results: Results): Promise<void> {
  const tasks: PrimitiveTask[] = [];
  const sse4 = crc32cAddon === 'sse4_crc32' ? null : sse4Crc();
  for (const bytes of sizes.crcBytes) {
    const buf = logText(bytes, bytes);
    tasks.push({ name: `js ${bytes}`, bytes, fn: () => crc32cJs(buf) });
    if (crc32cBackend === 'native') tasks.push({ name: `native ${bytes}`, bytes, fn: () => crc32cNative(buf) });
    if (sse4) tasks.push({ name: `sse4 ${bytes}`, bytes, fn: () => sse4(buf) });
  }
  const rates = await runTasks(tasks, sizes);
  for (const bytes of sizes.crcBytes) {
    const js = rates.get(`js ${bytes}`)!;
    results.record('crc', `js/${bytes}`, { impl: 'js', bytes }, { mbps: js.mbps, opsPerSec: js.opsPerSec });
    const native = rates.get(`native ${bytes}`);
    if (native) results.record('crc', `native/${bytes}`, { impl: crc32cAddon ?? 'native', bytes }, { mbps: native.mbps, opsPerSec: native.opsPerSec, ratio: native.mbps / js.mbps });
    const s4 = rates.get(`sse4 ${bytes}`);
    if (s4) results.record('crc', `sse4/${bytes}`, { impl: 'sse4_crc32', bytes }, { mbps: s4.mbps, opsPerSec: s4.opsPerSec, ratio: s4.mbps / js.mbps });
  }
}

/** Each supported codec on log text: compress MB/s of input, decompress MB/s of output. */
export async function benchCompression(sizes: Sizes, results: Results): Promise<void> {
  const tasks: PrimitiveTask[] = [];
  const ratios = new Map<string, number>();
  for (const codec of CODECS.filter((c) => isCodecSupported(c.id))) {
    for (const bytes of sizes.compressionBytes) {
      const input = logText(bytes, 7);
      const packed = compress(codec.id, input);
      if (!decompress(codec.id, packed).equals(input)) throw new Error(`${codec.name} round trip failed`);
      ratios.set(`${codec.name}/${bytes}`, packed.length / bytes);
      tasks.push({ name: `${codec.name} compress ${bytes}`, bytes, fn: () => compress(codec.id, input) });
      tasks.push({ name: `${codec.name} decompress ${bytes}`, bytes, fn: () => decompress(codec.id, packed) });
    }
  }
  const rates = await runTasks(tasks, sizes);
  for (const [key, ratio] of ratios) {
    const [name, bytes] = key.split('/') as [string, string];
    const c = rates.get(`${name} compress ${bytes}`)!;
    const d = rates.get(`${name} decompress ${bytes}`)!;
    results.record('compression', key, { codec: name, bytes: Number(bytes) }, { compressMbps: c.mbps, decompressMbps: d.mbps, ratio });
  }
}

/** encodeBatch / decodeBatch (validate + CRC + records) and verifyCrc on uncompressed batches. */
export async function benchBatch(sizes: Sizes, results: Results): Promise<void> {
  const tasks: PrimitiveTask[] = [];
  const recordSizes = [100, 1024];
  for (const recordBytes of recordSizes) {
    const bytes = encodeBatchUpTo(sizes.codecBatchBytes, recordBytes);
    const count = new DeflatedBatch(bytes).recordCount;
    const records = makeRecords(count, recordBytes);
    tasks.push({ name: `encode ${recordBytes}`, bytes: bytes.length, records: count, fn: () => encodeBatch({ records }) });
    tasks.push({ name: `decode ${recordBytes}`, bytes: bytes.length, records: count, fn: () => decodeBatch(new DeflatedBatch(bytes)) });
  }
  for (const size of sizes.verifyCrcBytes) {
    const bytes = encodeBatchUpTo(size, 1024);
    const batch = new DeflatedBatch(bytes);
    tasks.push({ name: `verifyCrc ${size}`, bytes: bytes.length, fn: () => batch.verifyCrc() });
  }
  const rates = await runTasks(tasks, sizes);
  for (const recordBytes of recordSizes) {
    for (const op of ['encode', 'decode'] as const) {
      const r = rates.get(`${op} ${recordBytes}`)!;
      results.record('batch', `${op}/${recordBytes}`, { op, recordBytes, batchBytes: sizes.codecBatchBytes }, { mbps: r.mbps, recordsPerSec: r.recordsPerSec! });
    }
  }
  for (const size of sizes.verifyCrcBytes) {
    const r = rates.get(`verifyCrc ${size}`)!;
    results.record('batch', `verifyCrc/${size}`, { op: 'verifyCrc', batchBytes: size }, { mbps: r.mbps, opsPerSec: r.opsPerSec });
  }
}
