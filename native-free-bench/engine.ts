/** Opening the storage engine the way every storage scenario needs it: quiet, one partition, no background timers firing mid-measurement. */
import fs from 'node:fs';
import { StorageEngine } from '../src/storage/index.js';
import type { ScratchDir } from './scratch-dir.js';
import type { Logger } from '../src/logger.js';
import { DeflatedBatch, batchSizeAt } from '../src/format/index.js';

export type EngineBackend = 'mmap' | 'file';
export const TOPIC = 'bench';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR_MS = 3_600_000;

export async function openEngine(dataDir: string, backend: EngineBackend, config: Record<string, number | string>): Promise<StorageEngine> {
  const engine = await StorageEngine.open({ dataDir, backend, logger: silent, retentionCheckIntervalMs: HOUR_MS, checkpointIntervalMs: HOUR_MS });
  await engine.createTopic(TOPIC, { partitions: 1, config });
  return engine;
}

/** The backends this build can run: mmap only when mmap-io loads. Probes in a subdirectory it removes again. */
export async function availableBackends(scratch: ScratchDir): Promise<EngineBackend[]> {
  const dataDir = scratch.sub('probe');
  try {
    const engine = await StorageEngine.open({ dataDir, backend: 'auto', logger: silent });
    const auto = engine.backend;
    await engine.close();
    return auto === 'mmap' ? ['mmap', 'file'] : ['file'];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Reads the whole log from offset 0 to the high watermark, `maxBytes` per call, as a
 * consumer's fetches would; returns the bytes returned. Without `sink` only batch headers
 * are touched (an mmap read is then nearly free: it returns slices); with `sink` every byte
 * returned is also copied into it once, as writing the response to a socket would.
 */
export function readWholeLog(engine: StorageEngine, maxBytes: number, sink: Buffer | null = null): number {
  let offset = 0;
  let bytes = 0;
  for (;;) {
    const r = engine.read(TOPIC, 0, offset, maxBytes);
    if (offset >= r.highWatermark) return bytes;
    for (const buf of r.batches) {
      let pos = 0;
      let last = 0;
      while (pos < buf.length) {
        const size = batchSizeAt(buf, pos);
        if (size < 0) throw new Error(`bad batch at ${pos} of a read from offset ${offset}`);
        last = pos;
        pos += size;
      }
      offset = new DeflatedBatch(buf.subarray(last, pos)).nextOffset;
      if (sink) for (let at = 0; at < buf.length; at += sink.length) buf.copy(sink, 0, at, Math.min(buf.length, at + sink.length));
      bytes += buf.length;
    }
    if (r.batches.length === 0) throw new Error(`read from offset ${offset} returned nothing below the high watermark ${r.highWatermark}`);
  }
}
