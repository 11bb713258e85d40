/**
 * Redis Streams as a peer: Debian's `redis-server`, started by the benchmark on a free
 * loopback port with its data in the scratch directory:
 *
 *   redis-server --bind 127.0.0.1 --port P --dir D --appendonly yes --appendfsync always|everysec
 *                --save '' --logfile ''
 *
 * `always`: every write is in the AOF and fsynced before the replies of that event-loop
 * turn are sent (Redis's group commit), the guarantee of Tributary's flush.messages=1.
 * `everysec`: fsync once a second in a background thread; a crash loses up to ~1-2 s of
 * acknowledged writes. RDB snapshots are off (--save ''), so the AOF is the only writer.
 *
 * A record is one stream entry, `XADD key * v <value>`; a batch is one ioredis pipeline
 * (one write, replies read together). Reads are `XREAD COUNT n BLOCK 100 STREAMS key id`,
 * one in flight, n = records in ~1 MiB (Kafka's fetch.max.bytes per partition).
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import type { PeerReader, PeerStream, PeerSystem } from './driver.js';
import { findBinary, freePort, startChild } from '../processes.js';

export type AppendFsync = 'always' | 'everysec';

/** Bytes a single XREAD asks for, in records of the scenario's size. */
const READ_BYTES = 1 << 20;
/** XREAD BLOCK timeout: how often an idle reader checks whether it was stopped. */
const READ_BLOCK_MS = 100;

export function redisBinary(): string | null {
  return findBinary('redis-server');
}

export function redisVersion(bin: string): string {
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
}

export async function startRedis(bin: string, dir: string, fsync: AppendFsync): Promise<PeerSystem> {
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync, '--save', '', '--logfile', '', '--daemonize', 'no', '--protected-mode', 'no'];
  const { child } = await startChild(bin, args, (line) => (/Ready to accept connections/.test(line) ? true : undefined));
  const clients: Redis[] = [];
  const client = async (): Promise<Redis> => {
    const c = new Redis({ host: '127.0.0.1', port, protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await c.connect();
    clients.push(c);
    return c;
  };
  return {
    pid: child.proc.pid,
    label: `Redis Streams (appendfsync ${fsync})`,
    async openStream(name: string, recordBytes: number): Promise<PeerStream> {
      const writer = await client();
      return {
        async append(values: Buffer[]): Promise<void> {
          const p = writer.pipeline();
          for (const v of values) p.call('XADD', name, '*', 'v', v);
          const replies = await p.exec();
          for (const r of replies ?? []) if (r[0]) throw r[0];
        },
        read(onValue: (value: Buffer) => void): PeerReader {
          let stopped = false;
          const count = Math.max(1, Math.floor(READ_BYTES / recordBytes));
          const done = (async () => {
            const reader = await client();
            try {
              let last = '0-0';
              while (!stopped) {
                const reply = (await reader.callBuffer('XREAD', 'COUNT', count, 'BLOCK', READ_BLOCK_MS, 'STREAMS', name, last)) as [Buffer, [Buffer, Buffer[]][]][] | null;
                if (reply === null) continue;
                for (const [, entries] of reply) {
                  for (const [id, fields] of entries) {
                    onValue(fields[1]!);
                    last = id.toString();
                  }
                }
              }
            } finally {
              reader.disconnect();
            }
          })();
          return { stop: () => (stopped = true), done };
        },
        async close(): Promise<void> {
          writer.disconnect();
        },
      };
    },
    async stop(): Promise<void> {
      for (const c of clients) c.disconnect();
      await child.stop();
    },
  };
}
