/**
 * The contract every compression codec implements: synchronous, pure functions from bytes
 * to bytes. Synchronous because a batch is encoded or decoded in one go, either on the
 * calling thread (small batches) or on a worker (src/workers/), never interleaved with I/O.
 */

export interface Codec {
  /** Kafka's codec id (RecordBatch attributes bits 0-2). */
  readonly id: number;
  readonly name: string;
  /**
   * Compresses `bytes` into the exact form Kafka stores in a batch's records section.
   * `level` is the topic's compression.<codec>.level (KIP-390) when the broker recompresses;
   * undefined means the codec's default. A codec without levels ignores it.
   */
  compress(bytes: Uint8Array, level?: number): Buffer;
  /**
   * Inflates `bytes`. Throws CORRUPT_COMPRESSED_DATA on malformed input and LIMIT_EXCEEDED
   * when the output would exceed `maxBytes` (the decompression-bomb guard).
   */
  decompress(bytes: Uint8Array, maxBytes: number): Buffer;
}
