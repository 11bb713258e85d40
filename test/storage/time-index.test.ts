import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexCorruption } from '../../src/storage/abstract-index.js';
import { fileBackend, mmapBackend } from '../../src/storage/io-backend.js';
import { TimeIndex } from '../../src/storage/time-index.js';
import { BACKENDS, rmDir, tmpDir } from './helpers.js';

describe.each(BACKENDS)('TimeIndex (%s backend)', (name) => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir();
  });
  afterEach(() => rmDir(dir));
  const open = (bytes?: number) => {
    const backend = name === 'mmap' ? mmapBackend() : fileBackend();
    return new TimeIndex(backend.openIndex(path.join(dir, '00000000000000000050.timeindex'), { create: true, ...(bytes === undefined ? {} : { bytes }) }), 50);
  };

  it('appends only growing timestamps and looks up at every boundary', () => {
    const idx = open(120);
    idx.maybeAppend(1000, 55);
    idx.maybeAppend(1000, 60); // not larger: ignored
    idx.maybeAppend(999, 61); // smaller: ignored
    idx.maybeAppend(2000, 70);
    expect(idx.entries).toBe(2);
    expect(idx.lookup(999)).toEqual({ timestamp: -1, offset: 50 });
    expect(idx.lookup(1000)).toEqual({ timestamp: 1000, offset: 55 });
    expect(idx.lookup(1999)).toEqual({ timestamp: 1000, offset: 55 });
    expect(idx.lookup(2000)).toEqual({ timestamp: 2000, offset: 70 });
    expect(idx.lookup(5000)).toEqual({ timestamp: 2000, offset: 70 });
    expect(idx.lastEntry()).toEqual({ timestamp: 2000, offset: 70 });
    idx.truncateTo(70);
    expect(idx.lastEntry()).toEqual({ timestamp: 1000, offset: 55 });
    idx.close();
  });

  it('load keeps a valid prefix before zeros and rejects entries beyond the segment', () => {
    const idx = open(120);
    idx.maybeAppend(1000, 55);
    idx.maybeAppend(2000, 70);
    idx.close();
    const a = open();
    a.load({ logBytes: 1, offsetEnd: 100 });
    expect(a.entries).toBe(2);
    a.close();
    const b = open();
    expect(() => b.load({ logBytes: 1, offsetEnd: 60 })).toThrow(IndexCorruption);
    b.close();
  });
});
