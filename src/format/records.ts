/**
 * The records inside a RecordBatch v2 (Kafka DefaultRecord), uncompressed.
 *
 *   Record =>
 *     length          varint   bytes that follow this field
 *     attributes      int8     unused by Kafka so far, carried as is
 *     timestampDelta  varlong  timestamp - batch baseTimestamp
 *     offsetDelta     varint   offset - batch baseOffset
 *     keyLength       varint   -1 = null key
 *     key             bytes
 *     valueLength     varint   -1 = null value (a tombstone)
 *     value           bytes
 *     headerCount     varint
 *     Header => keyLength varint, key UTF-8 (never null), valueLength varint (-1 = null), value
 *
 * Decoding insists that every record's declared length is exactly what its fields take,
 * that the section holds exactly the batch's record count, and that nothing trails it:
 * a producer whose count or lengths disagree with its bytes is sending a corrupt batch.
 * Keys, values and header values are zero-copy views into the decoded buffer.
 */
import { TributaryError } from '../errors.js';
import { batchRecordsMax, recordFieldBytesMax, recordHeadersMax } from '../limits.js';
import { ByteReader, varintSize, varlongSize, writeVarint, writeVarlong } from './varint.js';

/** Null key, value or header value marker in the length field. */
const NULL_LENGTH = -1;
/** Bytes of the attributes field. */
const RECORD_ATTRIBUTES_LENGTH = 1;
/** Smallest record body: attributes + 1-byte timestampDelta, offsetDelta, key, value, header count. */
export const RECORD_BODY_BYTES_MIN = RECORD_ATTRIBUTES_LENGTH + 5;
/** Smallest whole record: one length byte + the smallest body (Kafka's 7-byte floor). */
export const RECORD_BYTES_MIN = 1 + RECORD_BODY_BYTES_MIN;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record as stored: offset and timestamp relative to its batch. */
export interface RecordData {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  /** null is a tombstone. */
  value: Buffer | null;
  headers: RecordHeader[];
}

function nullableSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

/** Bytes of a record's body (everything after its length field). */
export function recordBodySize(r: RecordData): number {
  let size = RECORD_ATTRIBUTES_LENGTH + varlongSize(r.timestampDelta) + varintSize(r.offsetDelta) + nullableSize(r.key) + nullableSize(r.value);
  size += varintSize(r.headers.length);
  for (const h of r.headers) {
    const k = Buffer.byteLength(h.key, 'utf8');
    size += varintSize(k) + k + nullableSize(h.value);
  }
  return size;
}

/** Bytes of a whole record, length field included. */
export function recordSize(r: RecordData): number {
  const body = recordBodySize(r);
  return varintSize(body) + body;
}

/** Below this many bytes a plain loop beats a native copy call (Buffer#copy goes through two JS layers). */
const COPY_LOOP_BYTES_MAX = 32;

function writeNullable(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, NULL_LENGTH);
  pos = writeVarint(buf, pos, b.length);
  const n = b.length;
  if (pos + n > buf.length) throw new TributaryError('INVALID_ARGUMENT', `record field of ${n} bytes overruns the buffer at ${pos}`);
  if (n <= COPY_LOOP_BYTES_MAX) for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
  else buf.set(b, pos);
  return pos + n;
}

/** Writes `r` at `pos` given its precomputed body size; returns the position after it. */
export function writeRecord(buf: Buffer, pos: number, r: RecordData, bodySize = recordBodySize(r)): number {
  pos = writeVarint(buf, pos, bodySize);
  const bodyStart = pos;
  buf.writeInt8(r.attributes, pos++);
  pos = writeVarlong(buf, pos, r.timestampDelta);
  pos = writeVarint(buf, pos, r.offsetDelta);
  pos = writeNullable(buf, pos, r.key);
  pos = writeNullable(buf, pos, r.value);
  pos = writeVarint(buf, pos, r.headers.length);
  for (const h of r.headers) {
    const k = Buffer.byteLength(h.key, 'utf8');
    pos = writeVarint(buf, pos, k);
    pos += buf.write(h.key, pos, k, 'utf8');
    pos = writeNullable(buf, pos, h.value);
  }
  // Assert right before the bytes leave: a size function and a writer that disagree would
  // produce a batch other clients reject.
  if (pos - bodyStart !== bodySize) {
    throw new TributaryError('INVALID_ARGUMENT', `record body wrote ${pos - bodyStart} bytes, sized ${bodySize}`);
  }
  return pos;
}

/** Encodes `records` back to back (the uncompressed records section of a batch). */
export function encodeRecords(records: readonly RecordData[]): Buffer {
  const bodies = new Array<number>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const body = recordBodySize(records[i]!);
    bodies[i] = body;
    total += varintSize(body) + body;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < records.length; i++) pos = writeRecord(buf, pos, records[i]!, bodies[i]!);
  if (pos !== total) throw new TributaryError('INVALID_ARGUMENT', `records wrote ${pos} bytes, sized ${total}`);
  return buf;
}

function readNullable(r: ByteReader, what: string): Buffer | null {
  const len = r.readVarint();
  if (len === NULL_LENGTH) return null;
  if (len < 0) r.fail(`negative ${what} length ${len}`);
  if (len > recordFieldBytesMax) r.fail(`${what} of ${len} bytes exceeds the limit of ${recordFieldBytesMax}`);
  return r.bytes(len);
}

/** Reads one record from `r` (which must be positioned at its length field). */
export function readRecord(r: ByteReader): RecordData {
  const bodySize = r.readVarint();
  if (bodySize < RECORD_BODY_BYTES_MIN) r.fail(`record length ${bodySize} is below the minimum of ${RECORD_BODY_BYTES_MIN}`);
  if (bodySize > r.remaining) r.fail(`record length ${bodySize} runs past the ${r.remaining} bytes left`);
  // Confine the reader to this record, so no field can read into the next one.
  const outerEnd = r.end;
  r.end = r.pos + bodySize;
  const attributes = r.readInt8();
  const timestampDelta = r.readVarlong();
  const offsetDelta = r.readVarint();
  const key = readNullable(r, 'key');
  const value = readNullable(r, 'value');
  const headerCount = r.readVarint();
  if (headerCount < 0 || headerCount > recordHeadersMax) r.fail(`header count ${headerCount} is out of range [0, ${recordHeadersMax}]`);
  const headers = new Array<RecordHeader>(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const keyLen = r.readVarint();
    // Kafka: "Invalid negative header key size" -- header keys are never null.
    if (keyLen < 0) r.fail(`negative header key length ${keyLen}`);
    const k = r.bytes(keyLen);
    headers[i] = { key: k.toString('utf8'), value: readNullable(r, 'header value') };
  }
  r.expectEnd('record fields (record length disagrees with its contents)');
  r.end = outerEnd;
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

/**
 * Decodes exactly `count` records from `bytes[pos, end)`, which they must fill. Throws with
 * INVALID_BATCH on truncation, trailing bytes or out-of-range fields.
 */
export function decodeRecords(bytes: Buffer, count: number, pos = 0, end = bytes.length): RecordData[] {
  const r = new ByteReader(bytes, pos, end, 'INVALID_BATCH');
  if (count < 0 || count > batchRecordsMax) r.fail(`record count ${count} is out of range [0, ${batchRecordsMax}]`);
  // Guard the allocation below: every record takes at least RECORD_BYTES_MIN bytes.
  if (count * RECORD_BYTES_MIN > r.remaining) r.fail(`record count ${count} cannot fit in ${r.remaining} bytes`);
  const records = new Array<RecordData>(count);
  for (let i = 0; i < count; i++) records[i] = readRecord(r);
  r.expectEnd(`${count} records (the batch's record count disagrees with its records)`);
  return records;
}
