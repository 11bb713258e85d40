/**
 * Per-record errors (KIP-467): a batch with some invalid records is rejected whole, with the
 * failing records listed in the Produce response's record_errors (v8+) and a summary in
 * error_message, so a client fails exactly those (librdkafka's test 0011: 10 keyless records
 * of 100 on a compacted topic -> 10 INVALID_RECORD, 90 _INVALID_DIFFERENT_RECORD).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RDKAFKA_MODULE, skipRdkafka } from '../helpers/rdkafka.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { encodeBatch } from '../../src/format/index.js';
import { KafkaErrorCode } from '../../src/protocol/index.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;

beforeAll(async () => {
  env = await testBroker();
  c = await env.connect();
  const r = await c.request('CreateTopics', 5, {
    topics: [
      { name: 'compacted', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
      { name: 'window', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'message.timestamp.before.max.ms', value: '3600000' }] },
    ],
    timeoutMs: 1000,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0]);
});
afterAll(async () => {
  await env?.stop();
});

/** 100 records, every tenth without a key (librdkafka test 0011's batch). */
const hundred = (compression: 'none' | 'gzip' = 'none') =>
  encodeBatch({ records: Array.from({ length: 100 }, (_, i) => ({ key: i % 10 === 0 ? null : Buffer.from(`key-${i}`), value: Buffer.from(`value-${i}`) })), compression });

function produce(topic: string, records: Buffer, version: number) {
  return c.request('Produce', version, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
}

describe('Produce record_errors', () => {
  for (const version of [8, 9]) {
    it(`v${version}: lists each keyless record of a batch to a compacted topic, with INVALID_RECORD and an error_message`, async () => {
      const r = await produce('compacted', hundred(version === 9 ? 'gzip' : 'none'), version);
      const p = r.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(KafkaErrorCode.INVALID_RECORD);
      expect(p.baseOffset).toBe(-1);
      expect(p.recordErrors.map((e) => e.batchIndex)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
      for (const e of p.recordErrors) expect(e.batchIndexErrorMessage).toBe('Compacted topic cannot accept message without key in topic partition compacted-0.');
      expect(p.errorMessage).toMatch(/^One or more records have been rejected due to 10 record errors in total/);
    });
  }

  it('writes nothing of a rejected batch; a keyed batch after it is appended at offset 0', async () => {
    const ok = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
    const r = await produce('compacted', ok, 9);
    expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0, recordErrors: [] });
  });

  it('lists records outside the topic\'s timestamp window with INVALID_TIMESTAMP', async () => {
    const now = Date.now();
    const b = encodeBatch({ records: [now, now - 7_200_000, now].map((timestamp, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from('v'), timestamp })) });
    const p = (await produce('window', b, 9)).responses[0]!.partitionResponses[0]!;
    expect(p.errorCode).toBe(KafkaErrorCode.INVALID_TIMESTAMP);
    expect(p.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    expect(p.recordErrors[0]!.batchIndexErrorMessage).toMatch(/^Timestamp \d+ of message with offset 1 is out of range/);
    expect(p.errorMessage).toBe('One or more records have been rejected due to invalid timestamp');
  });
});

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/test/server/fixtures/rdkafka-produce.js');

describe.skipIf(skipRdkafka)('librdkafka (@confluentinc/kafka-javascript) with record_errors', () => {
  it('fails only the 10 keyless records of 100 with INVALID_RECORD, the other 90 with _INVALID_DIFFERENT_RECORD', async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ key: i % 10 === 0 ? null : `key-${i}`, value: `value-${i}` }));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [fixture, RDKAFKA_MODULE ?? 'missing: run scripts/install-test-tools.sh', String(env.broker.port), 'compacted', JSON.stringify(records)], { timeout: 45_000 }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { stderr })) : resolve(stdout),
      );
    });
    const { librdkafka, reports } = JSON.parse(out) as { librdkafka: string; reports: { i: number; code: number; message: string }[] };
    expect(librdkafka).toMatch(/^2\./);
    expect(reports).toHaveLength(100);
    const invalid = reports.filter((r) => r.code === KafkaErrorCode.INVALID_RECORD).map((r) => r.i);
    const different = reports.filter((r) => r.code === -138); // RD_KAFKA_RESP_ERR__INVALID_DIFFERENT_RECORD
    expect(invalid).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(different).toHaveLength(90);
  });
});
