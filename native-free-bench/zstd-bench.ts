/**
 * zstd backends side by side (docs/adr/0004): native/zstd (the addon over the system libzstd)
 * and @bokuweb/zstd-wasm (libzstd in WebAssembly), each loaded directly (whichever one the
 * registry picked), at levels 1 and 3 on 1 KiB (one 1 KiB record), 64 KiB and 1 MiB of log text.
 * Compress MB/s counts input bytes; decompress MB/s counts output bytes and decodes frames
 * without a content size, the kind Kafka's clients write (made by the addon's unsized mode;
 * the backend's own frames when the addon is missing).
 */
import { createRequire } from 'node:module';
import type { ZstdBackend } from '../src/format/compression/zstd-backend.js';
import { zstdCoder } from '../src/format/compression/zstd-backend.js';
import { loadZstdNative } from '../src/format/compression/zstd-native.js';
import { loadZstdWasm } from '../src/format/compression/zstd-wasm.js';
import { logText } from './data.js';
import type { Sizes } from './options.js';
import type { Results } from './results.js';
import type { PrimitiveTask } from './tinybench-runner.js';
import { runTasks } from './tinybench-runner.js';

export const ZSTD_BENCH_LEVELS = [1, 3] as const;

async function backends(): Promise<ZstdBackend[]> {
  const require = createRequire(import.meta.url);
  return [loadZstdNative(require), await loadZstdWasm(require)].filter((b): b is ZstdBackend => b !== null);
}

export async function benchZstd(sizes: Sizes, results: Results): Promise<void> {
  const list = await backends();
  const unsized = list.find((b) => b.compressUnsized)?.compressUnsized;
  const tasks: PrimitiveTask[] = [];
  const ratios = new Map<string, number>();
  for (const backend of list) {
    const z = zstdCoder(backend);
    for (const level of ZSTD_BENCH_LEVELS) {
      for (const bytes of sizes.zstdBytes) {
        const input = logText(bytes, 11);
        const frame = unsized ? unsized(input, level) : z.encode(input, level);
        if (!z.decode(frame, bytes).equals(input)) throw new Error(`zstd ${backend.name} round trip failed`);
        const key = `${backend.name}/${level}/${bytes}`;
        ratios.set(key, z.encode(input, level).length / bytes);
        tasks.push({ name: `${key} compress`, bytes, fn: () => z.encode(input, level) });
        tasks.push({ name: `${key} decompress`, bytes, fn: () => z.decode(frame, bytes) });
      }
    }
  }
  const rates = await runTasks(tasks, sizes);
  for (const [key, ratio] of ratios) {
    const [backend, level, bytes] = key.split('/') as [string, string, string];
    results.record('zstd', key, { backend, level: Number(level), bytes: Number(bytes) }, { compressMbps: rates.get(`${key} compress`)!.mbps, decompressMbps: rates.get(`${key} decompress`)!.mbps, ratio });
  }
}
