/**
 * Committed offsets and data across broker restarts: a clean stop (SIGTERM to `tributary serve`)
 * and an unclean one (SIGKILL). A restarted consumer resumes exactly after its last commit.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { StorageEngine } from '../../src/storage/index.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli.js');
const dirs: { cleanup: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function serve(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('broker listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`broker exited early with ${code}: ${out}`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function consumeFrom(port: number, groupId: string, count: number, commitEach: boolean): Promise<number[]> {
  const kafka = new Kafka({ clientId: 'restart-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'durable', fromBeginning: true });
  const offsets: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${offsets.length} records`)), 30_000);
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          if (offsets.length >= count) return;
          offsets.push(Number(message.offset));
          if (commitEach) await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          if (offsets.length === count) {
            clearTimeout(t);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return offsets;
}

async function produce(port: number, from: number, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'restart-producer', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 1 }] });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: 'durable', acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `m${from + i}` })) });
  await p.disconnect();
}

describe('restarts', () => {
  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`after ${how}, data and committed offsets are back and the consumer resumes after its last commit`, async () => {
      const d = tmpDir();
      dirs.push(d);
      const port = await freePort();
      let broker = await serve(d.dir, port);
      await produce(port, 0, 20);
      expect(await consumeFrom(port, 'g-restart', 7, true)).toEqual([0, 1, 2, 3, 4, 5, 6]);

      const code = exited(broker);
      broker.kill(how);
      const exitCode = await code;
      if (how === 'SIGTERM') {
        expect(exitCode).toBe(0);
        const engine = await StorageEngine.open({ dataDir: d.dir });
        expect(engine.hadCleanShutdown).toBe(true);
        await engine.close();
      }

      broker = await serve(d.dir, port);
      try {
        expect(await consumeFrom(port, 'g-restart', 13, true)).toEqual(Array.from({ length: 13 }, (_, i) => 7 + i));
        await produce(port, 20, 1);
        expect(await consumeFrom(port, 'g-restart', 1, false)).toEqual([20]);
      } finally {
        const c = exited(broker);
        broker.kill('SIGTERM');
        await c;
      }
    });
  }
});
