/**
 * Benchmark payloads: JSON application-log lines from a seeded PRNG, the kind of data a log
 * broker actually carries. Not random bytes (incompressible, flatters nothing but is
 * unrealistic) and not zeros (compresses absurdly well): repeated keys and vocabulary with
 * varying ids, timestamps and numbers, which gzip shrinks to roughly a quarter.
 */
import { encodeBatch } from '../src/format/index.js';
import type { RecordInput } from '../src/format/index.js';
import { DeflatedBatch, RECORD_BATCH_OVERHEAD } from '../src/format/index.js';

export const PAYLOAD_DESCRIPTION =
  'JSON application-log lines (timestamp, level, service, HTTP method/path/status, latency, ids, a short message) from a seeded PRNG; each record value is one line cut or padded to the record size';

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEVELS = ['debug', 'info', 'info', 'info', 'warn', 'error'];
const SERVICES = ['checkout', 'inventory', 'auth', 'search', 'payments', 'gateway', 'recommendations'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/api/v1/orders', '/api/v1/cart', '/api/v2/search', '/login', '/api/v1/users', '/health', '/api/v1/items'];
const STATUSES = [200, 200, 200, 201, 204, 304, 400, 404, 500];
const WORDS = ['request', 'completed', 'cache', 'miss', 'hit', 'upstream', 'timeout', 'retrying', 'user', 'session', 'token', 'refreshed', 'order', 'placed', 'item', 'reserved'];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** One JSON log line (no newline). */
export function logLine(rand: () => number, timeMs: number): string {
  const words = Array.from({ length: 3 + Math.floor(rand() * 6) }, () => pick(rand, WORDS)).join(' ');
  return JSON.stringify({
    ts: new Date(timeMs).toISOString(),
    level: pick(rand, LEVELS),
    service: pick(rand, SERVICES),
    host: `ip-10-0-${Math.floor(rand() * 16)}-${Math.floor(rand() * 256)}`,
    method: pick(rand, METHODS),
    path: `${pick(rand, PATHS)}/${Math.floor(rand() * 100000)}`,
    status: pick(rand, STATUSES),
    latency_ms: Math.round(rand() * 25000) / 100,
    trace_id: Math.floor(rand() * 2 ** 52).toString(16).padStart(13, '0'),
    user_id: `u${Math.floor(rand() * 50000)}`,
    msg: words,
  });
}

/** Exactly `bytes` bytes of newline-separated log lines. */
export function logText(bytes: number, seed = 1): Buffer {
  const rand = prng(seed);
  const out = Buffer.allocUnsafe(bytes);
  let pos = 0;
  let t = Date.UTC(2024, 0, 1);
  while (pos < bytes) {
    t += Math.floor(rand() * 50);
    pos += out.write(`${logLine(rand, t)}\n`, pos, 'utf8');
  }
  return out;
}

/** One record value of exactly `bytes` bytes: a log line, cut or padded with further lines. */
export function recordValue(bytes: number, rand: () => number, timeMs: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let pos = 0;
  while (pos < bytes) pos += out.write(`${logLine(rand, timeMs)}\n`, pos, 'utf8');
  return out;
}

/** `count` records of `recordBytes`-byte values (no key, no headers). */
export function makeRecords(count: number, recordBytes: number, seed = 1): RecordInput[] {
  const rand = prng(seed);
  const t0 = Date.UTC(2024, 0, 1);
  return Array.from({ length: count }, (_, i) => ({ value: recordValue(recordBytes, rand, t0 + i), timestamp: t0 + i }));
}

/** The largest uncompressed batch of `recordBytes`-byte records whose encoded size is at most `batchBytes`. */
export function encodeBatchUpTo(batchBytes: number, recordBytes: number, seed = 1): Buffer {
  // Estimate from one encoding, then shrink until it fits (records are near-equal in size).
  let n = Math.max(1, Math.floor((batchBytes - RECORD_BATCH_OVERHEAD) / (recordBytes + 8)));
  let batch = encodeBatch({ records: makeRecords(n, recordBytes, seed) });
  const perRecord = (batch.length - RECORD_BATCH_OVERHEAD) / n;
  n = Math.max(1, Math.floor((batchBytes - RECORD_BATCH_OVERHEAD) / perRecord));
  for (;;) {
    batch = encodeBatch({ records: makeRecords(n, recordBytes, seed) });
    if (batch.length <= batchBytes || n === 1) return batch;
    n = Math.max(1, n - Math.ceil((batch.length - batchBytes) / perRecord));
  }
}

/** A few distinct pre-encoded batches of one shape: appends cycle through them. */
export interface BatchShape {
  recordBytes: number;
  /** Nominal batch size (the encoded batches are at most this). */
  batchBytes: number;
  templates: Buffer[];
  /** Records in each template. */
  recordsPerBatch: number;
}

export function batchShape(recordBytes: number, batchBytes: number, distinct = 4): BatchShape {
  const first = encodeBatchUpTo(batchBytes, recordBytes, 1000);
  const recordsPerBatch = new DeflatedBatch(first).recordCount;
  // Values have a fixed size, so the other templates (same count, other content) are the same size.
  const rest = Array.from({ length: distinct - 1 }, (_, i) => encodeBatch({ records: makeRecords(recordsPerBatch, recordBytes, 1001 + i) }));
  return { recordBytes, batchBytes, templates: [first, ...rest], recordsPerBatch };
}

/**
 * Fresh copies of the templates, laid out back to back in one allocation made before timing
 * starts: the engine stamps offsets into what it appends, and a caller must not hand it the
 * same buffer twice.
 */
export class BatchSlab {
  readonly batches: Buffer[] = [];
  private readonly slab: Buffer;

  constructor(
    readonly shape: BatchShape,
    totalBytes: number,
  ) {
    const t = shape.templates;
    let bytes = 0;
    const sizes: number[] = [];
    for (let i = 0; bytes < totalBytes || sizes.length === 0; i++) {
      const size = t[i % t.length]!.length;
      sizes.push(size);
      bytes += size;
    }
    this.slab = Buffer.allocUnsafe(bytes);
    let pos = 0;
    for (const size of sizes) {
      this.batches.push(this.slab.subarray(pos, pos + size));
      pos += size;
    }
    this.refill();
  }

  /** Copies the templates in again (after an engine stamped the previous copies). */
  refill(): void {
    const t = this.shape.templates;
    this.batches.forEach((b, i) => t[i % t.length]!.copy(b));
  }

  get totalBytes(): number {
    return this.slab.length;
  }
}
