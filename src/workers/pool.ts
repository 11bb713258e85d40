/**
 * The one worker-thread pool (piscina), and the only module that imports piscina.
 *
 * Tasks: compress / decompress a payload, check every batch CRC in a buffer, run the
 * record pass over a produced batch (format/batch-rewrite.ts: per-record rules and
 * recompression into the topic's codec, on the `compress` cut-over), scan a
 * segment file (read and scanLog'ed on the worker), and run a log-compaction pass
 * (compaction.ts: read segments, write cleaned copies). Small payloads stay on the calling
 * thread, where they cost less than a round trip to a worker; the cut-overs are
 * `workerCompressBytesMin` and `workerCrcBytesMin` in src/limits.ts, measured as recorded
 * in docs/workers.md.
 *
 * Transfer, not copy: a payload's ArrayBuffer is moved to the worker (postMessage
 * transferList), so after the call the caller's buffer is detached (byteLength 0) and must
 * not be used; results come back the same way. Only a view that covers its whole
 * ArrayBuffer can be moved without harming anyone else: a Buffer that is a slice of a
 * larger one (Node's 8 KiB allocation pool, a network read buffer, a subarray) is first
 * copied into its own ArrayBuffer, and the caller's larger buffer stays intact.
 * verifyBatchCrcs hands the checked bytes back with its result, so the caller keeps them.
 *
 * Errors: workers return TributaryErrors as data ({ code, message, context }) and this
 * side rethrows them as TributaryError with the same code (see tasks.ts). After close(),
 * every call fails with CLOSED. Calls are safe to make concurrently; piscina queues them.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { TributaryError } from '../errors.js';
import { inflatedBytesMax, workerCompressBytesMin, workerCrcBytesMin, workerThreadsMax } from '../limits.js';
import { rewriteBatch } from '../format/batch-rewrite.js';
import type { RecordRules, RewriteResult } from '../format/batch-rewrite.js';
import { compress, decompress } from '../format/compression/index.js';
import type { ScanResult, ScanStop } from '../format/log-scan.js';
import { checkBatchCrcs } from './crc-check.js';
import type { CodecTask, CompactResult, CompactTask, CrcCheckResult, CrcTask, CrcTaskResult, ErrorEnvelope, RewriteTask, RewriteTaskResult, ScanTask } from './tasks.js';
import { SCAN_HEADER_LENGTH, SCAN_STOPS } from './tasks.js';

/**
 * The compiled worker entry point. Workers run JavaScript, so when this module runs from
 * TypeScript sources (vitest), use the build in dist/ (`make build` runs before tests).
 */
export function workerEntryPath(moduleUrl = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  if (here.endsWith('.ts')) return join(resolve(dirname(here), '..', '..'), 'dist', 'src', 'workers', 'worker.js');
  return join(dirname(here), 'worker.js');
}

/** `bytes` itself if it owns its whole (non-shared) ArrayBuffer, else a copy that does. */
export function ownArrayBuffer(bytes: Uint8Array): Uint8Array {
  const ab = bytes.buffer;
  if (ab instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === ab.byteLength) return bytes;
  const copy = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

/**
 * Marks a worker's result for transfer back to the caller: a typed array by itself, or any
 * value with the ArrayBuffers listed in `transfer`. (For worker.ts; it keeps piscina here.)
 */
export function movable(value: unknown, transfer?: ArrayBuffer[]): unknown {
  if (transfer === undefined) return Piscina.move(value as ArrayBufferView);
  // A piscina Transferable: the value plus the list to transfer. (Its type names the
  // symbols as unique symbols the static getters do not expose, hence the cast.)
  const wrapped = {
    get [Piscina.transferableSymbol](): object {
      return transfer;
    },
    get [Piscina.valueSymbol](): object {
      return value as object;
    },
  };
  return Piscina.move(wrapped as unknown as Parameters<typeof Piscina.move>[0]);
}


function isEnvelope(v: unknown): v is ErrorEnvelope {
  return typeof v === 'object' && v !== null && 'error' in v;
}

/** Rebuilds a worker's TributaryError on this side, with its code and context. */
function unwrap<T>(v: T | ErrorEnvelope): T {
  if (isEnvelope(v)) throw new TributaryError(v.error.code, v.error.message, { ...v.error.context, fromWorker: true });
  return v;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface WorkerPoolOptions {
  /** Worker threads (default and maximum: limits.workerThreadsMax). */
  threads?: number;
  /** Payloads below this many bytes are (de)compressed on the calling thread. */
  compressBytesMin?: number;
  /** Buffers below this many bytes are CRC-checked on the calling thread. */
  crcBytesMin?: number;
}

export interface ScanSegmentOptions {
  /** Verify every batch's CRC-32C (default true; recovery always does). */
  verifyCrc?: boolean;
  /** Base offsets must be >= this and increase. */
  expectedNextOffset?: number;
  /** File position to stop at (default: end of file). */
  end?: number;
}

export class WorkerPool {
  readonly threads: number;
  readonly compressBytesMin: number;
  readonly crcBytesMin: number;
  #pool: Piscina;
  #closed = false;

  constructor(opts: WorkerPoolOptions = {}) {
    const threads = opts.threads ?? workerThreadsMax;
    if (!Number.isInteger(threads) || threads < 1 || threads > workerThreadsMax) {
      throw new TributaryError('INVALID_ARGUMENT', `threads ${threads} is out of range [1, ${workerThreadsMax}]`, { threads });
    }
    const filename = workerEntryPath();
    if (!existsSync(filename)) {
      throw new TributaryError('INVALID_ARGUMENT', `worker entry point ${filename} is missing: run \`make build\` (tsc) first`, { filename });
    }
    this.threads = threads;
    this.compressBytesMin = opts.compressBytesMin ?? workerCompressBytesMin;
    this.crcBytesMin = opts.crcBytesMin ?? workerCrcBytesMin;
    this.#pool = new Piscina({ filename, minThreads: threads, maxThreads: threads });
  }

  static create(opts: WorkerPoolOptions = {}): WorkerPool {
    return new WorkerPool(opts);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed) throw new TributaryError('CLOSED', 'the worker pool is closed');
  }

  async #runBytes(name: 'compress' | 'decompress', task: CodecTask): Promise<Buffer> {
    const bytes = ownArrayBuffer(task.bytes);
    const result = (await this.#pool.run({ ...task, bytes }, { name, transferList: [bytes.buffer as ArrayBuffer] })) as Uint8Array | ErrorEnvelope;
    return toBuffer(unwrap(result));
  }

  /** Compresses `bytes` with Kafka codec `codecId`. Large inputs are transferred: see the header. */
  async compress(codecId: number, bytes: Uint8Array): Promise<Buffer> {
    this.#checkOpen();
    if (bytes.byteLength < this.compressBytesMin) return compress(codecId, bytes);
    return this.#runBytes('compress', { codec: codecId, bytes });
  }

  /** Inflates `bytes` (at most `maxBytes` out). The cut-over is judged on the compressed size. */
  async decompress(codecId: number, bytes: Uint8Array, maxBytes = inflatedBytesMax): Promise<Buffer> {
    this.#checkOpen();
    if (bytes.byteLength < this.compressBytesMin) return decompress(codecId, bytes, maxBytes);
    return this.#runBytes('decompress', { codec: codecId, bytes, maxBytes });
  }

  /**
   * Checks the CRC-32C of every batch in `buf`. The result carries `bytes`: the same
   * contents, handed back (the caller's own Buffer when checked inline, else the transferred
   * memory) — use it, not `buf`, afterwards.
   */
  async verifyBatchCrcs(buf: Buffer): Promise<CrcCheckResult & { bytes: Buffer }> {
    this.#checkOpen();
    if (buf.length < this.crcBytesMin) return { ...checkBatchCrcs(buf), bytes: buf };
    const bytes = ownArrayBuffer(buf);
    const task: CrcTask = { bytes };
    const result = (await this.#pool.run(task, { name: 'verifyBatchCrcs', transferList: [bytes.buffer as ArrayBuffer] })) as CrcTaskResult;
    return { ...result, bytes: toBuffer(result.bytes) };
  }

  /**
   * The record pass over one produced batch (format/batch-rewrite.ts): CRC, per-record rules,
   * recompression into `rules.targetCodec`. Batches of at least `compressBytesMin` go to a
   * worker (transferred: use the returned `bytes`, never `bytes` again); smaller ones run here.
   * Rejections are TributaryErrors with their code and `context.recordErrors`.
   */
  async rewriteBatch(bytes: Buffer, rules: RecordRules): Promise<RewriteResult> {
    this.#checkOpen();
    if (bytes.length < this.compressBytesMin) return rewriteBatch(bytes, rules);
    const own = ownArrayBuffer(bytes);
    const task: RewriteTask = { bytes: own, rules };
    const result = unwrap((await this.#pool.run(task, { name: 'rewriteBatch', transferList: [own.buffer as ArrayBuffer] })) as RewriteTaskResult | ErrorEnvelope);
    return { bytes: toBuffer(result.bytes), recompressed: result.recompressed };
  }

  /**
   * Reads the segment file at `logPath` from `startPos` on a worker and scans it with
   * scanLog (src/format/log-scan.ts). Positions in the result (and validEnd) are file
   * positions. The result's arrays are views of one transferred Float64Array.
   */
  async scanSegment(logPath: string, startPos = 0, opts: ScanSegmentOptions = {}): Promise<ScanResult> {
    this.#checkOpen();
    if (!Number.isSafeInteger(startPos) || startPos < 0) {
      throw new TributaryError('INVALID_ARGUMENT', `startPos ${startPos} is not a file position`, { startPos });
    }
    const task: ScanTask = { path: logPath, startPos, ...opts };
    const packed = unwrap((await this.#pool.run(task, { name: 'scanSegment' })) as Float64Array | ErrorEnvelope);
    const count = packed[0]!;
    const column = (k: number): Float64Array => packed.subarray(SCAN_HEADER_LENGTH + k * count, SCAN_HEADER_LENGTH + (k + 1) * count);
    return {
      count,
      positions: column(0),
      baseOffsets: column(1),
      lastOffsets: column(2),
      maxTimestamps: column(3),
      sizes: column(4),
      validEnd: packed[1]!,
      stop: SCAN_STOPS[packed[2]!] as ScanStop,
    };
  }

  /**
   * One log-compaction pass on a worker (compaction.ts): reads the task's segment files,
   * writes and fsyncs the cleaned ones, and returns their batch tables.
   */
  async compactSegments(task: CompactTask): Promise<CompactResult> {
    this.#checkOpen();
    return unwrap((await this.#pool.run(task, { name: 'compactSegments' })) as CompactResult | ErrorEnvelope);
  }

  /** Waits for queued tasks, then stops the threads. Later calls fail with CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }
}
