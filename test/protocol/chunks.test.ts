import { describe, expect, it } from 'vitest';
import { ApiKey, RecordChunks, SPLICE_BYTES_MIN, decodeResponseOf, encodeResponse, encodeResponseChunks } from '../../src/protocol/index.js';

function fetchBody(records: RecordChunks | Buffer) {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 't',
        partitions: [
          { partitionIndex: 0, errorCode: 0, highWatermark: 10, lastStableOffset: 10, logStartOffset: 0, abortedTransactions: null, records },
          { partitionIndex: 1, errorCode: 0, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0, abortedTransactions: null, records: null },
        ],
      },
    ],
  };
}

describe('encodeResponseChunks (zero-copy records)', () => {
  for (const version of [4, 11, 12]) {
    it(`Fetch v${version}: chunks concatenate to the copying encoder's bytes and large batches are passed by reference`, () => {
      const big = Buffer.alloc(SPLICE_BYTES_MIN * 3, 7);
      const small = Buffer.alloc(100, 9);
      const chunks = new RecordChunks([big, small, big]);
      const out = encodeResponseChunks(ApiKey.Fetch, version, 42, fetchBody(chunks));
      const copied = encodeResponse(ApiKey.Fetch, version, 42, fetchBody(Buffer.concat([big, small, big])));
      expect(Buffer.concat(out).equals(copied)).toBe(true);
      // The big batch appears as itself (same memory), twice.
      expect(out.filter((c) => c === big)).toHaveLength(2);
      const decoded = decodeResponseOf('Fetch', version, Buffer.concat(out).subarray(4));
      expect(decoded.correlationId).toBe(42);
      expect(decoded.body.responses[0]!.partitions[0]!.records!.length).toBe(big.length * 2 + small.length);
    });
  }

  it('small record sets are copied into the header buffer (one chunk)', () => {
    const out = encodeResponseChunks(ApiKey.Fetch, 11, 1, fetchBody(new RecordChunks([Buffer.alloc(10, 1)])));
    expect(out).toHaveLength(1);
  });
});
