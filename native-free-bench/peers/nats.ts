/**
 * NATS JetStream as a peer: Debian's `nats-server`, started by the benchmark with JetStream
 * on and its store in the scratch directory:
 *
 *   nats-server -js -sd D -a 127.0.0.1 -p P
 *
 * One stream per scenario (file storage, one replica, limits retention, no deduplication
 * ids sent). Durability: a publish is acknowledged once the message is in the stream's
 * current block file, i.e. in the page cache (nats-server server/filestore.go; writes are
 * coalesced for up to maxFlushWait = 8 ms); blocks are fsynced on a timer,
 * defaultSyncInterval = 2 minutes (docs.nats.io, "Syncing data to disk"). From v2.10 the
 * `sync_interval` option changes it (`always`: sync every write); Debian's 2.9.10 rejects
 * the option ("unknown field"), so the 2-minute timer is fixed there. JetStream's default
 * is therefore weaker than Tributary's flush.ms=1000 and much weaker than
 * flush.messages=1: a machine crash can lose up to two minutes of acknowledged messages
 * (a process crash loses nothing, the page cache survives it).
 *
 * A record is one message; a batch's messages are published without waiting for each
 * other (js.publish) and the batch resolves when every PubAck arrived. Reads use
 * an ordered pull consumer from the start of the stream (`consume()`, default buffering).
 */
import { execFileSync } from 'node:child_process';
import type { NatsConnection } from 'nats';
import { DiscardPolicy, RetentionPolicy, StorageType, connect } from 'nats';
import type { PeerReader, PeerStream, PeerSystem } from './driver.js';
import { findBinary, freePort, startChild } from '../processes.js';

export function natsBinary(): string | null {
  return findBinary('nats-server');
}

export function natsVersion(bin: string): string {
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
}

export async function startNats(bin: string, dir: string): Promise<PeerSystem> {
  const port = await freePort();
  const { child } = await startChild(bin, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], (line) => (/Server is ready/.test(line) ? true : undefined));
  const conns: NatsConnection[] = [];
  const open = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: `127.0.0.1:${port}`, noEcho: true });
    conns.push(nc);
    return nc;
  };
  return {
    pid: child.proc.pid,
    label: 'NATS JetStream (file storage, default sync)',
    async openStream(name: string): Promise<PeerStream> {
      const nc = await open();
      const jsm = await nc.jetstreamManager();
      const subject = `bench.${name}`;
      await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, num_replicas: 1 });
      const js = nc.jetstream();
      return {
        async append(values: Buffer[]): Promise<void> {
          await Promise.all(values.map((v) => js.publish(subject, v)));
        },
        read(onValue: (value: Buffer) => void): PeerReader {
          let stop: () => void = () => {};
          let stopped = false;
          const done = (async () => {
            const consumer = await js.consumers.get(name);
            const messages = await consumer.consume();
            stop = () => messages.stop();
            if (stopped) messages.stop();
            for await (const m of messages) onValue(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
          })();
          return {
            stop: () => {
              stopped = true;
              stop();
            },
            done,
          };
        },
        async close(): Promise<void> {
          await jsm.streams.delete(name);
        },
      };
    },
    async stop(): Promise<void> {
      for (const nc of conns) await nc.close().catch(() => {});
      await child.stop();
    },
  };
}
