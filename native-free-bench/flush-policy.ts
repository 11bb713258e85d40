/**
 * The three durability patterns compared side by side, each expressed twice: as Kafka topic
 * config for the engine, and as "fdatasync after every N writes" for the raw baseline, so
 * both sides sync after exactly the same bytes.
 *
 *  - every-append: flush.messages=1 (Tributary's default: an append resolves once fdatasync
 *    covers it);
 *  - every-1MiB:   flush.messages = records in ~1 MiB of batches (1 MiB / batch size, rounded,
 *    at least one batch): the appends in between resolve from the page cache;
 *  - os-only:      flush.messages and flush.ms "never": the OS writes back when it likes.
 */
import { flushNeverValue } from '../src/limits.js';
import type { BatchShape } from './data.js';

export const FLUSH_POLICIES = ['every-append', 'every-1MiB', 'os-only'] as const;
export type FlushPolicy = (typeof FLUSH_POLICIES)[number];

/** Appends in flight in the group-commit row (flush.messages=1, appends not awaited one by one). */
export const PIPELINE_DEPTH = 8;
/** The label of the group-commit row. */
export const PIPELINED = `every-append-x${PIPELINE_DEPTH}`;

const MiB = 1 << 20;

/** Batches between two fdatasyncs, or null for never. */
export function batchesPerSync(policy: FlushPolicy, shape: BatchShape): number | null {
  if (policy === 'every-append') return 1;
  if (policy === 'os-only') return null;
  return Math.max(1, Math.round(MiB / shape.templates[0]!.length));
}

/** The topic config that makes the engine sync after the same batches as the baseline. */
export function topicConfig(policy: FlushPolicy, shape: BatchShape): Record<string, number> {
  const every = batchesPerSync(policy, shape);
  return {
    // every-append is flush.messages=1 itself (not "one batch's records"): that is the policy
    // whose high watermark waits for fdatasync, Tributary's default.
    'flush.messages': policy === 'every-append' ? 1 : every === null ? flushNeverValue : every * shape.recordsPerBatch,
    'flush.ms': flushNeverValue,
    // A "1 MiB" batch may be up to 1 MiB, a little over Kafka's default max.message.bytes budget.
    'max.message.bytes': 2 * shape.batchBytes,
  };
}

/**
 * When a timed write loop may stop: only right after a sync (so both sides are measured over
 * whole flush periods), and once either the byte budget or the time budget is used up.
 */
export class StopRule {
  constructor(
    private readonly syncEvery: number | null,
    private readonly bytesMax: number,
    private readonly msMax: number,
  ) {}

  /** `written` batches / `bytes` so far, `elapsedMs` since the start. */
  done(written: number, bytes: number, elapsedMs: number): boolean {
    if (this.syncEvery !== null && written % this.syncEvery !== 0) return false;
    return bytes >= this.bytesMax || elapsedMs >= this.msMax;
  }

  /** Slab bytes enough to reach the byte budget at a sync boundary. */
  slabBytes(batchBytes: number): number {
    return this.bytesMax + (this.syncEvery ?? 1) * batchBytes;
  }
}
