/**
 * What the load generator writes: keys drawn from a distribution, payload bytes, and Kafka's
 * default partitioner so keyed records land where a Java producer would put them.
 *
 * Keys are fixed-width decimal key ids ("000042" for a key space of 1,000,000), written in
 * place into a reused buffer, so a run allocates no key per record. Payloads are random
 * uppercase letters, like kafka-producer-perf-test's: compressible about as well as text,
 * so --compression measures something.
 */
import type { KeyDistribution } from './options.js';

/** mulberry32: a small, fast, seedable 32-bit PRNG; `next()` is uniform in [0, 1). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  nextUint32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
}

/** Draws key ids in [0, keys). */
export interface KeyIdSource {
  readonly keys: number;
  next(): number;
}

class UniformKeys implements KeyIdSource {
  constructor(
    readonly keys: number,
    private readonly rng: Rng,
  ) {}
  next(): number {
    return Math.floor(this.rng.next() * this.keys);
  }
}

/**
 * YCSB's ZipfianGenerator (Gray et al., "Quickly generating billion-record synthetic
 * databases", SIGMOD 1994): O(keys) set-up to compute zeta(keys, theta), then O(1) per draw.
 * Key 0 is the most popular, then 1, and so on.
 */
class ZipfKeys implements KeyIdSource {
  private readonly alpha: number;
  private readonly zetan: number;
  private readonly eta: number;
  private readonly theta: number;
  constructor(
    readonly keys: number,
    theta: number,
    private readonly rng: Rng,
  ) {
    this.theta = theta;
    let zetan = 0;
    for (let i = 1; i <= keys; i++) zetan += 1 / Math.pow(i, theta);
    const zeta2 = 1 + 1 / Math.pow(2, theta);
    this.zetan = zetan;
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / keys, 1 - theta)) / (1 - zeta2 / zetan);
  }
  next(): number {
    const u = this.rng.next();
    const uz = u * this.zetan;
    if (uz < 1 || this.keys === 1) return 0;
    if (uz < 1 + Math.pow(0.5, this.theta)) return 1;
    const id = Math.floor(this.keys * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return id >= this.keys ? this.keys - 1 : id;
  }
}

/** The key id source of a distribution, or null for unkeyed records. */
export function keyIdSource(d: KeyDistribution, rng: Rng): KeyIdSource | null {
  switch (d.kind) {
    case 'none':
      return null;
    case 'uniform':
      return new UniformKeys(d.keys, rng);
    case 'zipf':
      return new ZipfKeys(d.keys, d.exponent, rng);
  }
}

/** Bytes of every key of a key space of `keys` ids. */
export function keyWidth(keys: number): number {
  return String(Math.max(0, keys - 1)).length;
}

/** Writes key id `id` as `width` zero-padded decimal digits at `buf[pos]`. */
export function writeKey(buf: Buffer, pos: number, width: number, id: number): void {
  for (let i = pos + width - 1; i >= pos; i--) {
    buf[i] = 0x30 + (id % 10);
    id = Math.floor(id / 10);
  }
}

/** `n` bytes of random uppercase letters. */
export function randomLetters(n: number, rng: Rng): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 0x41 + (rng.nextUint32() % 26);
  return b;
}

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed int32; the
 * default partitioner maps a key to `(murmur2(key) & 0x7fffffff) % partitions`.
 */
export function murmur2(data: Uint8Array, off = 0, len = data.length - off): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ len) | 0;
  const end4 = off + (len & ~3);
  for (let i = off; i < end4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = len & 3;
  if (rest === 3) h ^= data[end4 + 2]! << 16;
  if (rest >= 2) h ^= data[end4 + 1]! << 8;
  if (rest >= 1) {
    h ^= data[end4]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionForKey(key: Uint8Array, partitions: number, off = 0, len = key.length - off): number {
  return (murmur2(key, off, len) & 0x7fffffff) % partitions;
}
