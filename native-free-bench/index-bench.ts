/**
 * Offset lookups: `read(topic, partition, randomOffset, 1)` on a log of many small batches,
 * which exercises the segment search, the sparse offset index (index.interval.bytes, Kafka's
 * 4 KiB default) and the short scan from the indexed position to the batch holding the offset.
 */
import { RECORD_BATCH_OVERHEAD } from '../src/format/index.js';
import { BatchSlab, batchShape, prng } from './data.js';
import type { EngineBackend } from './engine.js';
import { TOPIC, openEngine } from './engine.js';
import { topicConfig } from './flush-policy.js';
import type { Sizes } from './options.js';
import type { Results } from './results.js';
import type { ScratchDir } from './scratch-dir.js';
import { runTasks } from './tinybench-runner.js';

const RECORD_BYTES = 100;

export async function benchIndex(sizes: Sizes, results: Results, scratch: ScratchDir, backends: readonly EngineBackend[]): Promise<void> {
  // A batch size that holds indexRecordsPerBatch records of RECORD_BYTES (header + ~110 B each).
  const shape = batchShape(RECORD_BYTES, RECORD_BATCH_OVERHEAD + sizes.indexRecordsPerBatch * (RECORD_BYTES + 10), 4);
  const rand = prng(42);
  for (const backend of backends) {
    const slab = new BatchSlab(shape, sizes.indexBatches * shape.templates[0]!.length);
    const dir = scratch.sub(`index-${backend}`);
    const engine = await openEngine(dir, backend, topicConfig('os-only', shape));
    try {
      for (const b of slab.batches.slice(0, sizes.indexBatches)) await engine.append(TOPIC, 0, b);
      const end = engine.listOffsets(TOPIC, 0, 'latest').offset;
      const offsets = Array.from({ length: 4096 }, () => Math.floor(rand() * end));
      let i = 0;
      const rates = await runTasks(
        [
          {
            name: 'lookup',
            bytes: shape.templates[0]!.length,
            repeats: 64,
            fn: () => {
              const r = engine.read(TOPIC, 0, offsets[i++ & 4095]!, 1);
              if (r.batches.length !== 1) throw new Error('lookup returned no batch');
              return r;
            },
          },
        ],
        sizes,
      );
      const r = rates.get('lookup')!;
      results.record('index', `lookup/${backend}`, { backend, batches: sizes.indexBatches, records: end, recordsPerBatch: shape.recordsPerBatch }, { lookupsPerSec: r.opsPerSec, microsPerLookup: 1e6 / r.opsPerSec });
    } finally {
      await engine.close();
      scratch.sub(`index-${backend}`);
    }
  }
}
