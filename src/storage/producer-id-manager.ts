/**
 * Hands out producer ids for InitProducerId (Kafka's ProducerIdManager), never the same one
 * twice for a data directory, across restarts and crashes.
 *
 * Ids are reserved in blocks of `producerIdBlockSize`: before the first id of a block is
 * handed out, the block's end is written durably to `<dataDir>/producer-id-block`. After a
 * restart (clean or not) allocation continues at the persisted end, so the unused rest of
 * the last block is skipped, never reused (Kafka does the same).
 *
 * On-disk format (big-endian):
 *
 *   offset  size  field
 *        0     2  version (= 1)
 *        2     4  crc       CRC-32C of bytes [6, 14), unsigned
 *        6     8  blockEnd  every id below it may have been handed out
 *
 * Crash behaviour: written atomically (durable-fs.ts), so it is the old or the new block end.
 * A file that fails its checks cannot be repaired (no id is known to be safe): the engine still
 * opens, but every allocation fails with STORAGE_IO until an operator fixes or removes it.
 *
 * Concurrency: allocations are served in call order; ids grow strictly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TributaryError } from '../errors.js';
import { crc32c } from '../format/crc32c.js';
import { producerIdBlockSize } from '../limits.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from './durable-fs.js';

export const PRODUCER_ID_FILE = 'producer-id-block';

const VERSION = 1;
const VERSION_OFFSET = 0;
const VERSION_LENGTH = 2;
const CRC_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
const CRC_LENGTH = 4;
const BLOCK_END_OFFSET = CRC_OFFSET + CRC_LENGTH;
const BLOCK_END_LENGTH = 8;
const FILE_BYTES = BLOCK_END_OFFSET + BLOCK_END_LENGTH;

function encode(blockEnd: number): Buffer {
  const buf = Buffer.alloc(FILE_BYTES);
  buf.writeInt16BE(VERSION, VERSION_OFFSET);
  buf.writeBigInt64BE(BigInt(blockEnd), BLOCK_END_OFFSET);
  buf.writeUInt32BE(crc32c(buf.subarray(BLOCK_END_OFFSET)), CRC_OFFSET);
  return buf;
}

function decode(buf: Buffer): number {
  if (buf.length !== FILE_BYTES) throw new Error(`${buf.length} bytes, expected ${FILE_BYTES}`);
  const version = buf.readInt16BE(VERSION_OFFSET);
  if (version !== VERSION) throw new Error(`unknown version ${version}`);
  const stored = buf.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(buf.subarray(BLOCK_END_OFFSET));
  if (stored !== computed) throw new Error(`CRC mismatch: stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`);
  const end = Number(buf.readBigInt64BE(BLOCK_END_OFFSET));
  if (!Number.isSafeInteger(end) || end < 0) throw new Error(`impossible block end ${end}`);
  return end;
}

export class ProducerIdManager {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly file: string,
    private next: number,
    private blockEnd: number,
    private readonly broken: TributaryError | null,
  ) {}

  /** Reads the persisted block end (none: start at 0). Never throws for a bad file; see the header. */
  static open(dataDir: string, log: Logger): ProducerIdManager {
    const file = path.join(dataDir, PRODUCER_ID_FILE);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return new ProducerIdManager(file, 0, 0, null);
      const broken = new TributaryError('STORAGE_IO', `cannot read ${file}`, { path: file }, err);
      log.error({ err, path: file }, 'cannot read the producer id block; producer ids cannot be allocated');
      return new ProducerIdManager(file, 0, 0, broken);
    }
    try {
      const end = decode(buf);
      return new ProducerIdManager(file, end, end, null);
    } catch (err) {
      const broken = new TributaryError('STORAGE_IO', `producer id block ${file} is corrupt: ${(err as Error).message}`, { path: file }, err);
      log.error({ err, path: file }, 'corrupt producer id block; producer ids cannot be allocated');
      return new ProducerIdManager(file, 0, 0, broken);
    }
  }

  /** A producer id never handed out before in this data directory. */
  allocate(): Promise<number> {
    const run = this.chain.then(async () => {
      if (this.closed) throw new TributaryError('CLOSED', 'storage engine is closed');
      if (this.broken) throw this.broken;
      if (this.next >= this.blockEnd) {
        const end = this.blockEnd + producerIdBlockSize;
        if (!Number.isSafeInteger(end)) throw new TributaryError('LIMIT_EXCEEDED', 'producer ids are exhausted', { blockEnd: this.blockEnd });
        // Durable before any id of the block is handed out: a crash can skip ids, never repeat them.
        await writeFileAtomic(this.file, encode(end));
        this.blockEnd = end;
      }
      return this.next++;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for a pending block write; later allocations fail with CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }
}
