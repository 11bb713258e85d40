/**
 * kafkajs consumer groups against the real broker: partition ownership, rebalances on join,
 * clean leave and session-timeout eviction, committed offsets surviving restarts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
import { startBroker } from '../../src/server/broker.js';
import type { Broker } from '../../src/server/broker.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** The compiled fixture (`make test` builds dist/ before the suite runs). */
const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/test/server/fixtures/group-member.js');
if (!fs.existsSync(fixture)) throw new Error(`${fixture} is missing: run \`npx tsc -p tsconfig.json\` (make test does) first`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Member {
  name: string;
  consumer: Consumer;
  assigned: number[];
  processed: string[];
}

describe('consumer groups (kafkajs)', () => {
  let broker: Broker;
  let kafka: Kafka;
  let producer: Producer;
  let dir: { dir: string; cleanup: () => void };

  beforeAll(async () => {
    dir = tmpDir();
    broker = await startBroker({ dataDir: dir.dir, port: 0 });
    kafka = new Kafka({ clientId: 'groups-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'work', numPartitions: 3 }] });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await broker?.close();
    dir?.cleanup();
  });

  async function member(name: string, groupId: string, all: Map<string, string[]>, sessionTimeout = 6000): Promise<Member> {
    const consumer = kafka.consumer({ groupId, sessionTimeout, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    const m: Member = { name, consumer, assigned: [], processed: [] };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.assigned = [...(e.payload.memberAssignment['work'] ?? [])].sort();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'work', fromBeginning: true });
    await consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        m.processed.push(v);
        const seen = all.get(v) ?? [];
        seen.push(name);
        all.set(v, seen);
      },
    });
    return m;
  }

  async function send(from: number, count: number): Promise<string[]> {
    const values = Array.from({ length: count }, (_, i) => `r${from + i}`);
    await producer.send({ topic: 'work', messages: values.map((value) => ({ key: value, value })) });
    return values;
  }

  it('shares partitions one owner each, rebalances on join and clean leave, and processes every record once when it commits after processing', async () => {
    const seen = new Map<string, string[]>();
    const sent: string[] = [];
    sent.push(...(await send(0, 60)));

    const a = await member('a', 'g-work', seen);
    const b = await member('b', 'g-work', seen);
    const owners = () => [...a.assigned, ...b.assigned].sort();
    await until('two members sharing all 3 partitions', () => owners().join() === '0,1,2' && a.assigned.length > 0 && b.assigned.length > 0);
    await until('first records processed', () => seen.size === 60);

    // A third member joins: every partition still has exactly one owner.
    const c = await member('c', 'g-work', seen);
    await until('three members with one partition each', () => [a, b, c].every((m) => m.assigned.length === 1) && [...a.assigned, ...b.assigned, ...c.assigned].sort().join() === '0,1,2');
    sent.push(...(await send(60, 60)));
    await until('records after the join processed', () => seen.size === 120);

    // A clean leave: the others take over its partition.
    await c.consumer.disconnect();
    await until('two members after a clean leave', () => owners().join() === '0,1,2');
    sent.push(...(await send(120, 60)));
    await until('records after the leave processed', () => seen.size === 180);

    // Every record so far was processed exactly once (commits after each message, clean rebalances).
    for (const v of sent) expect(seen.get(v), v).toHaveLength(1);
    await a.consumer.disconnect();
    await b.consumer.disconnect();
  });

  it('evicts a member that is killed (no LeaveGroup) once its session times out, and its partitions move on', async () => {
    const seen = new Map<string, string[]>();
    const a = await member('a', 'g-evict', seen, 3000);
    const child = spawn(process.execPath, [fixture, String(broker.port), 'g-evict', 'work', '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let childAssigned: number[] = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as { assigned?: number[] };
        buf = buf.slice(nl + 1);
        if (line.assigned) childAssigned = line.assigned;
      }
    });
    try {
      await until('the child member owns a partition', () => childAssigned.length > 0 && a.assigned.length > 0 && a.assigned.length < 3);
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await until('a owns every partition after the child is evicted', () => a.assigned.join() === '0,1,2', 25_000);
      // Eviction waited for the session timeout: it was not a LeaveGroup.
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2000);
      const values = await send(1000, 30);
      await until('a processes new records on all partitions', () => values.every((v) => seen.has(v)));
    } finally {
      child.kill('SIGKILL');
      await a.consumer.disconnect();
    }
  });
});

describe('group administration (kafkajs admin)', () => {
  it('lists, describes and deletes groups; a group with members cannot be deleted', async () => {
    const d = tmpDir();
    const broker = await startBroker({ dataDir: d.dir, port: 0 });
    try {
      const kafka = new Kafka({ clientId: 'groups-admin', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 2 }] });
      const consumer = kafka.consumer({ groupId: 'g-admin', maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'adm', fromBeginning: true });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
      await consumer.run({ eachMessage: async () => undefined });
      await until('the consumer joined', () => joined);
      await admin.setOffsets({ groupId: 'g-offsets-only', topic: 'adm', partitions: [{ partition: 0, offset: '0' }] });

      const listed = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
      expect(listed).toEqual(['g-admin', 'g-offsets-only']);
      const described = await admin.describeGroups(['g-admin', 'nope']);
      expect(described.groups[0]).toMatchObject({ groupId: 'g-admin', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(described.groups[0]!.members).toHaveLength(1);
      expect(described.groups[1]).toMatchObject({ groupId: 'nope', state: 'Dead' });

      await expect(admin.deleteGroups(['g-admin'])).rejects.toThrow();
      const ok = await admin.deleteGroups(['g-offsets-only']);
      expect(ok[0]).toMatchObject({ groupId: 'g-offsets-only', errorCode: 0 });
      const offsets = await admin.fetchOffsets({ groupId: 'g-offsets-only', topics: ['adm'] });
      expect(offsets[0]!.partitions.every((p) => p.offset === '-1')).toBe(true);
      await consumer.disconnect();
      await admin.disconnect();
    } finally {
      await broker.close();
      d.cleanup();
    }
  });
});
