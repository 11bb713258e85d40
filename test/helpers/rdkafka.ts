/**
 * librdkafka 2.15 for the tests: Confluent's JavaScript client (@confluentinc/kafka-javascript
 * 1.10.1, librdkafka 2.15.1), built into test/clients by scripts/install-test-tools.sh. Null
 * when it is not installed; its tests are then skipped, except under CI=true, where a missing
 * client fails them (`skipRdkafka` is false and `requireRdkafka` throws).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** test/clients/node_modules/@confluentinc/kafka-javascript, seen from test/helpers or dist/test/helpers. */
function find(): string | null {
  for (const up of ['../..', '../../..']) {
    const dir = path.resolve(here, up, 'test/clients/node_modules/@confluentinc/kafka-javascript');
    try {
      require.resolve(dir);
      return dir;
    } catch {
      // not there
    }
  }
  return null;
}

/** The client's module path, for child processes (`require(RDKAFKA_MODULE)`), or null. */
export const RDKAFKA_MODULE: string | null = find();

export const rdkafka: Record<string, unknown> | null = RDKAFKA_MODULE ? (require(RDKAFKA_MODULE) as Record<string, unknown>) : null;

/** True when the suite should skip librdkafka 2.15 tests: not built here, and not in CI (where that is a failure). */
export const skipRdkafka = rdkafka === null && process.env.CI !== 'true';

/** The client, or a clear failure (CI without the client). */
export function requireRdkafka(): Record<string, unknown> {
  if (!rdkafka) throw new Error('librdkafka 2.15 (@confluentinc/kafka-javascript in test/clients) is not built: run scripts/install-test-tools.sh');
  return rdkafka;
}

/** The slice of librdkafka's native consumer API the tests use. */
interface RdConsumer {
  connect(opts: object, cb: (err: unknown) => void): void;
  assign(parts: { topic: string; partition: number; offset: number }[]): void;
  consume(n: number, cb: (err: unknown, msgs: RdMessage[]) => void): void;
  disconnect(cb: () => void): void;
}

export interface RdMessage {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | null;
  value: Buffer | null;
  timestamp: number;
}

/**
 * Reads one partition from `offset` until a message at or past `lastOffset` with librdkafka
 * 2.15's native consumer (assigned, no group commits), with `config` added to the consumer's
 * (e.g. max.partition.fetch.bytes). Fails after `timeoutMs` saying how far it got.
 */
export async function rdkafkaReadPartition(brokers: string, topic: string, partition: number, offset: number, lastOffset: number, config: Record<string, string | number> = {}, timeoutMs = 30_000): Promise<RdMessage[]> {
  const K = requireRdkafka() as { KafkaConsumer: new (c: object, t: object) => RdConsumer };
  const consumer = new K.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `read-${topic}-${partition}`, 'enable.auto.commit': false, ...config }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    consumer.assign([{ topic, partition, offset }]);
    const got: RdMessage[] = [];
    const deadline = Date.now() + timeoutMs;
    while ((got.at(-1)?.offset ?? -1) < lastOffset) {
      if (Date.now() > deadline) throw new Error(`librdkafka read ${got.length} messages of ${topic}-${partition} up to offset ${got.at(-1)?.offset ?? 'none'} (of ${lastOffset}) in ${timeoutMs} ms`);
      const msgs = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m))));
      got.push(...msgs);
    }
    return got;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
