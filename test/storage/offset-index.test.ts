import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexCorruption } from '../../src/storage/abstract-index.js';
import { fileBackend, mmapBackend } from '../../src/storage/io-backend.js';
import type { IoBackend } from '../../src/storage/io-backend.js';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { BACKENDS, rmDir, tmpDir } from './helpers.js';

const backends: Record<(typeof BACKENDS)[number], () => IoBackend> = { mmap: () => mmapBackend(), file: () => fileBackend() };

describe.each(BACKENDS)('OffsetIndex (%s backend)', (name) => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tmpDir();
    file = path.join(dir, '00000000000000000100.index');
  });
  afterEach(() => rmDir(dir));

  const open = (bytes?: number) => new OffsetIndex(backends[name]().openIndex(file, { create: true, ...(bytes === undefined ? {} : { bytes }) }), 100);

  it('finds the largest entry at or below the target, at every boundary', () => {
    const idx = open(80);
    expect(idx.maxEntries).toBe(10);
    idx.append(110, 1000);
    idx.append(120, 2000);
    idx.append(130, 3000);
    expect(idx.lookup(99)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(100)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(109)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(110)).toEqual({ offset: 110, position: 1000 });
    expect(idx.lookup(119)).toEqual({ offset: 110, position: 1000 });
    expect(idx.lookup(120)).toEqual({ offset: 120, position: 2000 });
    expect(idx.lookup(130)).toEqual({ offset: 130, position: 3000 });
    expect(idx.lookup(10_000)).toEqual({ offset: 130, position: 3000 });
    idx.truncateTo(120);
    expect(idx.entries).toBe(1);
    expect(idx.lookup(125)).toEqual({ offset: 110, position: 1000 });
    idx.close();
  });

  it('refuses entries out of order and reports full', () => {
    const idx = open(16);
    idx.append(110, 1000);
    expect(() => idx.append(110, 2000)).toThrow();
    expect(() => idx.append(120, 1000)).toThrow();
    idx.append(120, 2000);
    expect(idx.isFull).toBe(true);
    expect(() => idx.append(130, 3000)).toThrow(/full/);
    idx.close();
  });

  it('survives trim and reopen; load accepts a zero tail and rejects garbage', () => {
    const idx = open(800);
    idx.append(110, 1000);
    idx.append(120, 2000);
    idx.close(); // untrimmed: a crash leaves the preallocated zeros
    const again = open();
    again.load({ logBytes: 5000, offsetEnd: Infinity });
    expect(again.entries).toBe(2);
    again.trim();
    again.close();
    expect(fs.statSync(file).size).toBe(16);

    // Entry pointing past the log, out-of-order entries, a non-multiple length: all rejected.
    const check = (mutate: (b: Buffer) => Buffer, limits = { logBytes: 5000, offsetEnd: Infinity }) => {
      const bytes = mutate(Buffer.from(fs.readFileSync(file)));
      const f2 = path.join(dir, '00000000000000000100.copy.index');
      fs.writeFileSync(f2, bytes);
      const i2 = new OffsetIndex(backends[name]().openIndex(f2, { create: false }), 100);
      try {
        i2.load(limits);
        return i2.entries;
      } finally {
        i2.close();
      }
    };
    expect(check((b) => b)).toBe(2);
    expect(() => check((b) => b, { logBytes: 2000, offsetEnd: Infinity })).toThrow(IndexCorruption);
    expect(() => check((b) => b, { logBytes: 5000, offsetEnd: 120 })).toThrow(IndexCorruption);
    expect(() => check((b) => (b.writeInt32BE(5, 8), b))).toThrow(IndexCorruption);
    expect(() => check((b) => Buffer.concat([b, Buffer.from([1])]))).toThrow(IndexCorruption);
    expect(() => check((b) => Buffer.concat([b, Buffer.alloc(8), Buffer.from([0, 0, 0, 9, 0, 0, 0x10, 0])]))).toThrow(IndexCorruption);
    expect(check((b) => Buffer.concat([b, Buffer.alloc(24)]))).toBe(2);
  });
});
