/**
 * The config surface a client uses, over the wire: DescribeConfigs for topics and the broker
 * (sources, synonyms, types, documentation), the alter APIs and CreateTopics validateOnly
 * going through one validator, and topic configs applied live.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { DeflatedBatch, encodeBatch } from '../../src/format/index.js';
import { KafkaErrorCode } from '../../src/protocol/index.js';
import { TOPIC_CONFIG_KEYS } from '../../src/storage/index.js';
import { testBroker } from '../helpers/broker.js';

let env: Awaited<ReturnType<typeof testBroker>>;
let c: KafkaConnection;

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

beforeAll(async () => {
  env = await testBroker({ topicDefaults: { 'retention.ms': '3600000' } });
  c = await env.connect();
  await create('cfg', [{ name: 'segment.ms', value: '60000' }]);
});
afterAll(async () => {
  await env?.stop();
});

async function create(name: string, configs: { name: string; value: string }[], validateOnly = false) {
  const r = await c.request('CreateTopics', 5, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }], timeoutMs: 1000, validateOnly });
  return r.topics[0]!;
}

function describeTopic(name: string, keys: string[] | null, opts: { version?: number; synonyms?: boolean; docs?: boolean } = {}) {
  return c.request('DescribeConfigs', opts.version ?? 4, {
    resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: keys }],
    includeSynonyms: opts.synonyms ?? false,
    includeDocumentation: opts.docs ?? false,
  });
}

async function configsOf(name: string, keys: string[] | null = null) {
  const r = await describeTopic(name, keys);
  expect(r.results[0]!.errorCode).toBe(0);
  return Object.fromEntries(r.results[0]!.configs.map((e) => [e.name, e.value]));
}

function incremental(name: string, configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) {
  return c.request('IncrementalAlterConfigs', 1, { resources: [{ resourceType: TOPIC, resourceName: name, configs }], validateOnly });
}

function alter(name: string, configs: { name: string; value: string | null }[], validateOnly = false) {
  return c.request('AlterConfigs', 1, { resources: [{ resourceType: TOPIC, resourceName: name, configs }], validateOnly });
}

describe('DescribeConfigs', () => {
  it('describes every topic key with its source, type, synonyms and documentation', async () => {
    const r = await describeTopic('cfg', null, { synonyms: true, docs: true });
    const entries = r.results[0]!.configs;
    expect(entries.map((e) => e.name)).toEqual([...TOPIC_CONFIG_KEYS]);
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    // Set on the topic: DYNAMIC_TOPIC_CONFIG, then the broker setting's default.
    expect(by['segment.ms']).toMatchObject({
      value: '60000', configSource: 1, readOnly: false, isSensitive: false, configType: 5,
      synonyms: [{ name: 'segment.ms', value: '60000', source: 1 }, { name: 'log.roll.ms', value: '604800000', source: 5 }],
    });
    // From the broker's topic defaults: STATIC_BROKER_CONFIG under Kafka's broker name.
    expect(by['retention.ms']).toMatchObject({
      value: '3600000', configSource: 4,
      synonyms: [{ name: 'log.retention.ms', value: '3600000', source: 4 }, { name: 'log.retention.ms', value: '604800000', source: 5 }],
    });
    expect(by['cleanup.policy']).toMatchObject({ value: 'delete', configSource: 5, configType: 7, synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: 5 }] });
    expect(by['remote.storage.enable']).toMatchObject({ value: 'false', configSource: 5, configType: 1, synonyms: [] });
    expect(by['min.cleanable.dirty.ratio']).toMatchObject({ value: '0.5', configType: 6 });
    expect(by['compression.type']!.documentation).toMatch(/recompress/);
    expect(by['min.insync.replicas']!.documentation).toMatch(/NOT_ENOUGH_REPLICAS/);
  });

  it('leaves synonyms and documentation out unless asked; v0 marks inherited values as defaults', async () => {
    const plain = (await describeTopic('cfg', ['segment.ms', 'retention.ms'])).results[0]!.configs;
    expect(plain.map((e) => [e.name, e.synonyms, e.documentation])).toEqual([
      ['retention.ms', [], null],
      ['segment.ms', [], null],
    ]);
    const v0 = (await describeTopic('cfg', ['segment.ms', 'retention.ms', 'no.such.key'], { version: 0 })).results[0]!.configs;
    expect(v0.map((e) => [e.name, e.isDefault])).toEqual([
      ['retention.ms', true],
      ['segment.ms', false],
    ]);
  });

  it('describes the broker resource: its settings and every topic default under its broker name, read-only', async () => {
    const r = await c.request('DescribeConfigs', 4, {
      resources: [
        { resourceType: BROKER, resourceName: '0', configurationKeys: null },
        { resourceType: BROKER, resourceName: '', configurationKeys: null },
        { resourceType: BROKER, resourceName: '7', configurationKeys: null },
        { resourceType: BROKER, resourceName: 'x', configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    const [mine, cluster, other, bad] = r.results;
    expect(mine!.errorCode).toBe(0);
    const by = Object.fromEntries(mine!.configs.map((e) => [e.name, e]));
    expect(by['broker.id']).toMatchObject({ value: '0', readOnly: true, configSource: 4, configType: 3 });
    expect(by['advertised.listeners']!.value).toBe(`PLAINTEXT://127.0.0.1:${env.broker.port}`);
    expect(by['log.dirs']!.value).toBe(env.dir);
    expect(by['log.retention.ms']).toMatchObject({ value: '3600000', configSource: 4 });
    expect(by['log.segment.bytes']).toMatchObject({ value: '1073741824', configSource: 5 });
    expect(by['log.cleanup.policy']).toMatchObject({ value: 'delete', configType: 7 });
    expect(by['compression.type']).toMatchObject({ value: 'producer' });
    expect(by['message.max.bytes']).toMatchObject({ value: '1048588' });
    expect(by['group.min.session.timeout.ms']!.value).toMatch(/^\d+$/);
    expect(Object.values(by).every((e) => e.readOnly && e.documentation !== null)).toBe(true);
    expect(cluster).toMatchObject({ errorCode: 0, configs: [] });
    expect(other!.errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    expect(bad!.errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist', async () => {
    expect((await describeTopic('nope', null)).results[0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('one validator for CreateTopics, AlterConfigs and IncrementalAlterConfigs', () => {
  const cases: [string, string, RegExp][] = [
    ['retention.ms', '-2', /^Invalid value -2 for configuration retention\.ms: Value must be at least -1$/],
    ['compression.type', 'brotli', /^Invalid value brotli for configuration compression\.type: String must be one of/],
    ['min.insync.replicas', 'two', /^Invalid value two for configuration min\.insync\.replicas: Not a number of type INT$/],
    ['no.such.config', '1', /^Unknown topic config name: no\.such\.config$/],
    ['remote.storage.enable', 'true', /^Tiered Storage functionality is disabled/],
  ];
  for (const [name, value, message] of cases) {
    it(`refuses ${name}=${value} with INVALID_CONFIG naming it, on every path, changing nothing`, async () => {
      for (const validateOnly of [true, false]) {
        const made = await create(`bad-${name}`, [{ name, value }], validateOnly);
        expect(made).toMatchObject({ errorCode: KafkaErrorCode.INVALID_CONFIG });
        expect(made.errorMessage).toMatch(message);
        const a = (await alter('cfg', [{ name, value }], validateOnly)).responses[0]!;
        expect(a.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
        expect(a.errorMessage).toMatch(message);
        const i = (await incremental('cfg', [{ name, configOperation: SET, value }], validateOnly)).responses[0]!;
        expect(i.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
        expect(i.errorMessage).toMatch(message);
      }
      expect(env.broker.engine.hasTopic(`bad-${name}`)).toBe(false);
      expect((await configsOf('cfg', ['segment.ms']))['segment.ms']).toBe('60000');
    });
  }

  it('checks rules between keys against what the topic already has, validate-only included', async () => {
    await create('lags', [{ name: 'max.compaction.lag.ms', value: '5000' }]);
    for (const validateOnly of [true, false]) {
      const r = (await incremental('lags', [{ name: 'min.compaction.lag.ms', configOperation: SET, value: '6000' }], validateOnly)).responses[0]!;
      expect(r).toMatchObject({ errorCode: KafkaErrorCode.INVALID_CONFIG, errorMessage: 'conflict topic config setting min.compaction.lag.ms (6000) > max.compaction.lag.ms (5000)' });
    }
    const both = await create('lags2', [{ name: 'min.compaction.lag.ms', value: '2' }, { name: 'max.compaction.lag.ms', value: '1' }], true);
    expect(both.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
  });

  it('accepts what Kafka accepts: codecs (librdkafka 0081), message.format.version (0092), replication keys on one broker', async () => {
    const r = (await alter('cfg', [{ name: 'compression.type', value: 'gzip' }, { name: 'flush.ms', value: '12345678' }, { name: 'segment.ms', value: '60000' }])).responses[0]!;
    expect(r.errorCode).toBe(0);
    for (const [name, value] of [
      ['compression.type', 'lz4'],
      ['compression.type', 'zstd'],
      ['compression.type', 'snappy'],
      ['compression.type', 'uncompressed'],
      ['message.format.version', '0.10.0.0'],
      ['message.downconversion.enable', 'false'],
      ['min.insync.replicas', '2'],
      ['unclean.leader.election.enable', 'true'],
      ['leader.replication.throttled.replicas', '*'],
      ['max.compaction.lag.ms', '3600000'],
      ['compression.gzip.level', '9'],
    ]) {
      const i = (await incremental('cfg', [{ name: name!, configOperation: SET, value: value! }])).responses[0]!;
      expect([name, i.errorCode, i.errorMessage]).toEqual([name, 0, null]);
      expect((await configsOf('cfg', [name!]))[name!]).toBe(value);
    }
    // validateOnly CreateTopics answers with the config the topic would have.
    const dry = await create('dry', [{ name: 'compression.type', value: 'lz4' }, { name: 'message.format.version', value: '2.8-IV1' }], true);
    expect(dry.errorCode).toBe(0);
    expect(Object.fromEntries((dry.configs ?? []).map((e) => [e.name, [e.value, e.configSource]]))).toMatchObject({
      'compression.type': ['lz4', 1],
      'message.format.version': ['2.8-IV1', 1],
      'retention.ms': ['3600000', 4],
      'segment.bytes': ['1073741824', 5],
    });
    expect(env.broker.engine.hasTopic('dry')).toBe(false);
  });

  it('IncrementalAlterConfigs: APPEND and SUBTRACT on list keys, DELETE back to the default, refused elsewhere', async () => {
    await create('inc', []);
    expect((await incremental('inc', [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
    expect((await configsOf('inc'))['cleanup.policy']).toBe('delete,compact');
    expect((await incremental('inc', [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
    expect((await configsOf('inc'))['cleanup.policy']).toBe('delete,compact');
    expect((await incremental('inc', [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }])).responses[0]!.errorCode).toBe(0);
    expect((await configsOf('inc'))['cleanup.policy']).toBe('compact');
    expect((await incremental('inc', [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
    expect((await configsOf('inc'))['cleanup.policy']).toBe('');
    await incremental('inc', [{ name: 'follower.replication.throttled.replicas', configOperation: APPEND, value: '0:0,1:0' }]);
    await incremental('inc', [{ name: 'follower.replication.throttled.replicas', configOperation: SUBTRACT, value: '0:0' }]);
    expect((await configsOf('inc'))['follower.replication.throttled.replicas']).toBe('1:0');
    expect((await incremental('inc', [{ name: 'cleanup.policy', configOperation: DELETE, value: null }])).responses[0]!.errorCode).toBe(0);
    expect((await configsOf('inc'))['cleanup.policy']).toBe('delete');

    const onScalar = (await incremental('inc', [{ name: 'retention.ms', configOperation: APPEND, value: '5' }])).responses[0]!;
    expect(onScalar).toMatchObject({ errorCode: KafkaErrorCode.INVALID_CONFIG, errorMessage: 'Config value append is not allowed for config key: retention.ms' });
    const badItem = (await incremental('inc', [{ name: 'cleanup.policy', configOperation: APPEND, value: 'shred' }])).responses[0]!;
    expect(badItem.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
    const twice = (await incremental('inc', [{ name: 'retention.ms', configOperation: SET, value: '5' }, { name: 'retention.ms', configOperation: DELETE, value: null }])).responses[0]!;
    expect(twice.errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    const nullSet = (await incremental('inc', [{ name: 'retention.ms', configOperation: SET, value: null }])).responses[0]!;
    expect(nullSet.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
  });

  it('AlterConfigs replaces the whole set; the broker resource is read-only; unknown topics are UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await create('whole', [{ name: 'retention.ms', value: '1000' }, { name: 'segment.ms', value: '2000' }]);
    expect((await alter('whole', [{ name: 'segment.ms', value: '3000' }])).responses[0]!.errorCode).toBe(0);
    expect(await configsOf('whole', ['retention.ms', 'segment.ms'])).toEqual({ 'retention.ms': '3600000', 'segment.ms': '3000' });
    const r = await c.request('AlterConfigs', 1, {
      resources: [
        { resourceType: BROKER, resourceName: '0', configs: [{ name: 'log.retention.ms', value: '1' }] },
        { resourceType: TOPIC, resourceName: 'ghost', configs: [{ name: 'retention.ms', value: '1' }] },
      ],
      validateOnly: false,
    });
    expect(r.responses.map((x) => x.errorCode)).toEqual([KafkaErrorCode.INVALID_REQUEST, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  });
});

describe('topic configs applied live', () => {
  const keyed = (key: string, value: string, timestamp = Date.now()) => encodeBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp }] });
  const produce = (topic: string, records: Buffer) =>
    c.request('Produce', 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);

  it('cleanup.policy: compact turns on key checks and the cleaner at once; delete turns them off', async () => {
    await create('live-compact', [{ name: 'segment.bytes', value: '300' }]);
    const keyless = encodeBatch({ records: [{ value: Buffer.from('no key') }] });
    expect((await produce('live-compact', keyless)).errorCode).toBe(0);
    for (let i = 0; i < 12; i++) expect((await produce('live-compact', keyed(`k${i % 2}`, `v${i}`))).errorCode).toBe(0);
    expect((await incremental('live-compact', [{ name: 'cleanup.policy', configOperation: SET, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
    expect((await produce('live-compact', keyless)).errorCode).toBe(KafkaErrorCode.INVALID_RECORD);
    const before = env.broker.engine.describeTopic('live-compact').partitions[0]!.sizeBytes;
    const cleaned = await env.broker.engine.compact('live-compact', 0, { force: true });
    expect(cleaned).toHaveLength(1);
    expect(env.broker.engine.describeTopic('live-compact').partitions[0]!.sizeBytes).toBeLessThan(before);
    expect((await incremental('live-compact', [{ name: 'cleanup.policy', configOperation: SET, value: 'delete' }])).responses[0]!.errorCode).toBe(0);
    expect((await produce('live-compact', keyless)).errorCode).toBe(0);
    expect(await env.broker.engine.compact('live-compact', 0, { force: true })).toEqual([]);
  });

  it('retention.ms and retention.bytes: a lowered limit deletes old segments on the next retention pass', async () => {
    await create('live-retention', [{ name: 'segment.bytes', value: '200' }, { name: 'retention.ms', value: '-1' }]);
    const old = Date.now() - 7_200_000;
    for (let i = 0; i < 10; i++) await produce('live-retention', keyed(`k${i}`, `v${i}`.padEnd(60, '.'), old));
    const segments = () => env.broker.engine.describeTopic('live-retention').partitions[0]!.segments;
    const start = () => env.broker.engine.listOffsets('live-retention', 0, 'earliest').offset;
    const n = segments();
    expect(n).toBeGreaterThan(3);
    await env.broker.engine.enforceRetention();
    expect(start()).toBe(0); // retention.ms=-1: kept however old
    expect((await incremental('live-retention', [{ name: 'retention.bytes', configOperation: SET, value: '400' }])).responses[0]!.errorCode).toBe(0);
    await env.broker.engine.enforceRetention();
    expect(segments()).toBeLessThan(n);
    expect(start()).toBeGreaterThan(0);
    expect((await incremental('live-retention', [{ name: 'retention.ms', configOperation: SET, value: '60000' }])).responses[0]!.errorCode).toBe(0);
    await env.broker.engine.enforceRetention();
    expect(segments()).toBe(1); // only the active segment is left
  });

  it('segment.bytes and segment.ms: the next append rolls by the new values', async () => {
    await create('live-segment', []);
    for (let i = 0; i < 5; i++) await produce('live-segment', keyed(`k${i}`, 'x'.repeat(100)));
    const segments = () => env.broker.engine.describeTopic('live-segment').partitions[0]!.segments;
    expect(segments()).toBe(1);
    expect((await incremental('live-segment', [{ name: 'segment.bytes', configOperation: SET, value: '200' }])).responses[0]!.errorCode).toBe(0);
    await produce('live-segment', keyed('k', 'x'.repeat(100)));
    expect(segments()).toBe(2);
    await produce('live-segment', keyed('k', 'x'.repeat(100)));
    expect(segments()).toBe(3);
  });

  it('compression.type: batches produced after the change are stored in the new codec', async () => {
    await create('live-codec', []);
    await produce('live-codec', keyed('a', 'one'));
    await incremental('live-codec', [{ name: 'compression.type', configOperation: SET, value: 'lz4' }]);
    await produce('live-codec', keyed('b', 'two'));
    const codecs: number[] = [];
    for (const buf of env.broker.engine.read('live-codec', 0, 0, 1 << 20).batches) for (const b of DeflatedBatch.all(buf)) codecs.push(b.compression);
    expect(codecs).toEqual([0, 3]);
  });
});

describe('kafkajs admin', () => {
  it('describes with synonyms, alters, and gets INVALID_CONFIG from createTopics validateOnly', async () => {
    const kafka = new Kafka({ clientId: 'cfg-admin', brokers: [`127.0.0.1:${env.broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kjs-cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'compression.type', value: 'snappy' }] }] });
      const d = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-cfg', configNames: ['compression.type', 'retention.ms'] }] });
      const by = Object.fromEntries(d.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(by['compression.type']).toMatchObject({ configValue: 'snappy', isDefault: false, readOnly: false });
      expect(by['retention.ms']).toMatchObject({ configValue: '3600000', configSynonyms: [{ configName: 'log.retention.ms', configValue: '3600000', configSource: 4 }, { configName: 'log.retention.ms', configValue: '604800000', configSource: 5 }] });
      await expect(admin.createTopics({ validateOnly: true, topics: [{ topic: 'kjs-bad', configEntries: [{ name: 'segment.ms', value: '0' }] }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_CONFIG', topic: 'kjs-bad' })],
      });
    } finally {
      await admin.disconnect();
    }
  });
});
