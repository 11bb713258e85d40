// Shared test helpers for storage: temp dirs, batches, decoding what a read returned.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeBatch } from '../../src/format/batch-builder.js';
import type { BatchInput } from '../../src/format/batch-builder.js';
import { decodeBatch } from '../../src/format/inflated-batch.js';
import { DeflatedBatch } from '../../src/format/record-batch.js';
import type { Logger } from '../../src/logger.js';
import { StorageEngine } from '../../src/storage/index.js';
import type { StorageEngineOptions } from '../../src/storage/index.js';

export const BACKENDS = ['mmap', 'file'] as const;

export function tmpDir(prefix = 'tributary-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A logger that keeps what it was told, so tests can assert on warnings. */
export function memoryLogger(): Logger & { lines: { level: string; msg: string | undefined; obj: object }[] } {
  const lines: { level: string; msg: string | undefined; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, msg, obj });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** One batch of `values` (strings), all with timestamp `ts` unless given per record. */
export function batch(values: string[], opts: { ts?: number | number[]; compression?: BatchInput['compression'] } = {}): Buffer {
  return encodeBatch({
    records: values.map((v, i) => ({
      value: Buffer.from(v),
      key: Buffer.from(`k-${v}`),
      timestamp: Array.isArray(opts.ts) ? opts.ts[i]! : (opts.ts ?? 1_000),
    })),
    ...(opts.compression ? { compression: opts.compression } : {}),
  });
}

/** A one-record batch of exactly `size` bytes (value and key lengths are tuned to fit). */
export function batchOfSize(size: number, tag: string, ts = 1_000): Buffer {
  const make = (v: number, k: number) =>
    encodeBatch({ records: [{ value: Buffer.from(tag + 'x'.repeat(v)), key: Buffer.from('k'.repeat(k)), timestamp: ts }] });
  for (let k = 0; k < 4; k++) {
    const probe = make(0, k).length;
    const v = size - probe;
    for (let d = 0; d <= 4 && v - d >= 0; d++) if (make(v - d, k).length === size) return make(v - d, k);
  }
  throw new Error(`no batch of exactly ${size} bytes`);
}

export interface Rec {
  offset: number;
  value: string;
  timestamp: number;
}

/** Decodes every batch in the buffers a read returned (CRC-checked). */
export function records(buffers: Buffer[]): Rec[] {
  const out: Rec[] = [];
  for (const buf of buffers) {
    let n = 0;
    for (const b of DeflatedBatch.all(buf)) {
      n += b.sizeInBytes;
      for (const r of decodeBatch(b).records) out.push({ offset: r.offset, value: r.value!.toString(), timestamp: r.timestamp });
    }
    if (n !== buf.length) throw new Error(`read returned ${buf.length - n} bytes that are not whole batches`);
  }
  return out;
}

/** Base offsets of the batches in the buffers a read returned. */
export function batchOffsets(buffers: Buffer[]): number[] {
  const out: number[] = [];
  for (const buf of buffers) for (const b of DeflatedBatch.all(buf)) out.push(b.baseOffset);
  return out;
}

/** Reads the whole partition (from the log start to the high watermark). */
export function readAll(engine: StorageEngine, topic: string, partition = 0): Rec[] {
  const out: Rec[] = [];
  let offset = engine.listOffsets(topic, partition, 'earliest').offset;
  for (;;) {
    const r = engine.read(topic, partition, offset, 1 << 20);
    const recs = records(r.batches);
    if (recs.length === 0) return out;
    out.push(...recs.filter((x) => x.offset >= offset));
    offset = recs[recs.length - 1]!.offset + 1;
  }
}

export async function openEngine(dataDir: string, backend: 'mmap' | 'file', extra: Partial<StorageEngineOptions> = {}): Promise<StorageEngine> {
  return StorageEngine.open({ dataDir, backend, logger: memoryLogger(), ...extra });
}

/** Segment files of a partition, sorted. */
export function segmentFiles(dataDir: string, topic: string, partition = 0, suffix = '.log'): string[] {
  return fs
    .readdirSync(path.join(dataDir, `${topic}-${partition}`))
    .filter((f) => f.endsWith(suffix))
    .sort();
}
