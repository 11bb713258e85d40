/**
 * Typed errors for the storage engine and everything above it.
 *
 * Every error thrown by Tributary's own code is a `TributaryError` with a `code` from
 * `ERROR_CODES`. Errors that cross a worker-thread boundary lose their class, so callers
 * switch on `code`, never on `instanceof` alone. Each code maps to the Kafka protocol
 * error a broker front-end should answer with (`kafkaErrorName`); the numeric wire codes
 * live in `src/protocol/error-codes.ts`, the one table of Kafka errors.
 */

export const ERROR_CODES = {
  /** A batch's stored CRC-32C does not match its contents. */
  CORRUPT_BATCH: 'CORRUPT_MESSAGE',
  /**
   * A batch is structurally invalid (bad magic, length, record count, offsets), or some of its
   * records break a topic rule (a keyless record on a compacted topic): then
   * `context.recordErrors` lists them as `{ batchIndex, message }` (KIP-467).
   */
  INVALID_BATCH: 'INVALID_RECORD',
  /**
   * Records with a CreateTime outside the topic's message.timestamp.before/after.max.ms window
   * (Kafka's LogValidator); `context.recordErrors` lists them (KIP-467).
   */
  INVALID_TIMESTAMP: 'INVALID_TIMESTAMP',
  /** A batch is larger than the topic's max.message.bytes. */
  BATCH_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** A compression codec this build cannot encode or decode. */
  UNSUPPORTED_COMPRESSION: 'UNSUPPORTED_COMPRESSION_TYPE',
  /** Compressed data that does not decode (bad frame, bad checksum). */
  CORRUPT_COMPRESSED_DATA: 'CORRUPT_MESSAGE',
  /** A topic name that breaks Kafka's naming rules. */
  INVALID_TOPIC: 'INVALID_TOPIC_EXCEPTION',
  /** A topic or partition that does not exist. */
  UNKNOWN_TOPIC_OR_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  /** A topic that already exists. */
  TOPIC_EXISTS: 'TOPIC_ALREADY_EXISTS',
  /** An invalid partition count or replication factor. */
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  /** A topic config key or value that is not accepted. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** An offset outside [logStartOffset, logEndOffset]. */
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  /** A request argument that is out of range or malformed. */
  INVALID_ARGUMENT: 'INVALID_REQUEST',
  /** The log, partition or engine has been closed. */
  CLOSED: 'KAFKA_STORAGE_ERROR',
  /** An I/O failure (disk full, permission, EIO). Nothing is acknowledged after one. */
  STORAGE_IO: 'KAFKA_STORAGE_ERROR',
  /** An idempotent producer's epoch is older than the one the partition knows (it was fenced by a newer instance). */
  PRODUCER_FENCED: 'INVALID_PRODUCER_EPOCH',
  /** An idempotent producer's batch does not continue its sequence (a gap, or a new epoch not starting at 0). */
  OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  /** A malformed protocol frame or field. */
  MALFORMED_FRAME: 'CORRUPT_MESSAGE',
  /** A request for an API version this broker does not speak. */
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  /** A request got no answer within its timeout (client side). */
  REQUEST_TIMED_OUT: 'REQUEST_TIMED_OUT',
  /** A configured limit was hit (frame size, connections, in-flight requests). */
  LIMIT_EXCEEDED: 'POLICY_VIOLATION',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TributaryError extends Error {
  readonly code: ErrorCode;
  /** Extra facts that help the reader: offsets, sizes, expected vs actual values. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TributaryError';
    this.code = code;
    this.context = context;
  }

  /** The Kafka protocol error name a front-end should answer with. */
  get kafkaErrorName(): (typeof ERROR_CODES)[ErrorCode] {
    return ERROR_CODES[this.code];
  }
}

export function isTributaryError(err: unknown, code?: ErrorCode): err is TributaryError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  if (typeof c !== 'string' || !(c in ERROR_CODES)) return false;
  return code === undefined || c === code;
}

/** Wraps a Node.js I/O error (ENOSPC, EIO, EACCES...) as a STORAGE_IO error. */
export function storageIoError(what: string, cause: unknown, context: Record<string, unknown> = {}): TributaryError {
  const sys = (cause as { code?: string } | null)?.code;
  return new TributaryError('STORAGE_IO', `${what} failed${sys ? ` (${sys})` : ''}`, { ...context, sys }, cause);
}
