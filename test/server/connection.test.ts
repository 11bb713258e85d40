/**
 * Connection back-pressure, on a real loopback socket pair: a client that does not read its
 * responses makes the server stop reading its requests once queued output passes
 * connectionOutputBytesMax, and reading resumes once the client drains; responses stay in order.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, FrameDecoder, FramePool, encodeRequest } from '../../src/protocol/index.js';
import { resolveConfig } from '../../src/server/config.js';
import { Connection } from '../../src/server/connection.js';
import type { Dispatch } from '../../src/server/connection.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const sockets: net.Socket[] = [];
let server: net.Server | undefined;
afterEach(() => {
  sockets.forEach((s) => s.destroy());
  server?.close();
});

async function pair(): Promise<{ client: net.Socket; serverSide: net.Socket }> {
  const accepted = new Promise<net.Socket>((resolve) => {
    server = net.createServer(resolve);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = net.connect({ host: '127.0.0.1', port: (server!.address() as net.AddressInfo).port });
  const serverSide = await accepted;
  sockets.push(client, serverSide);
  return { client, serverSide };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('connection back-pressure', () => {
  it('stops reading while queued output is over the limit and resumes when the client reads', async () => {
    const { client, serverSide } = await pair();
    const config = resolveConfig({ dataDir: '.', connectionOutputBytesMax: 256 * 1024, inflightRequestsMax: 1000 });
    let handled = 0;
    // Every request is answered with a 128 KiB frame (pre-encoded chunks, as a Fetch would be).
    const dispatch: Dispatch = (req) => {
      handled++;
      const body = Buffer.alloc(128 * 1024, handled & 0xff);
      const head = Buffer.alloc(8);
      head.writeInt32BE(4 + body.length, 0);
      head.writeInt32BE(req.header.correlationId, 4);
      return { chunks: [head, body] };
    };
    new Connection(serverSide, config, dispatch, silent, () => undefined);
    client.pause(); // a consumer that does not read its responses
    const total = 200;
    for (let i = 0; i < total; i++) client.write(encodeRequest(ApiKey.ApiVersions, 0, i, 'bp', {}));
    await sleep(500);
    // The server stopped reading: far fewer requests handled than sent, and its queue is bounded.
    expect(handled).toBeLessThan(total);
    expect(serverSide.isPaused()).toBe(true);
    expect(serverSide.writableLength).toBeLessThan(256 * 1024 + 2 * (128 * 1024 + 8));

    // Draining the client lets everything through, in request order.
    const decoder = new FrameDecoder({ frameBytesMax: 1 << 20 });
    const ids: number[] = [];
    client.on('data', (d: Buffer) => {
      for (const f of decoder.push(d)) ids.push(f.readInt32BE(0));
    });
    client.resume();
    const deadline = Date.now() + 10_000;
    while (ids.length < total && Date.now() < deadline) await sleep(20);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(handled).toBe(total);
  });

  it('stops reading at the in-flight request limit while handlers are pending', async () => {
    const { client, serverSide } = await pair();
    const config = resolveConfig({ dataDir: '.', inflightRequestsMax: 4 });
    const pending: (() => void)[] = [];
    let started = 0;
    const dispatch: Dispatch = (req) => {
      started++;
      return new Promise((resolve) => {
        pending.push(() => {
          const f = Buffer.alloc(8);
          f.writeInt32BE(4, 0);
          f.writeInt32BE(req.header.correlationId, 4);
          resolve({ chunks: [f] });
        });
      });
    };
    new Connection(serverSide, config, dispatch, silent, () => undefined);
    // One write per request, so the server sees them in separate reads.
    for (let i = 0; i < 20; i++) {
      client.write(encodeRequest(ApiKey.ApiVersions, 0, i, 'bp', {}));
      await sleep(5);
    }
    await sleep(100);
    expect(started).toBe(4);
    while (pending.length > 0) pending.shift()!();
    await sleep(100);
    expect(started).toBeGreaterThan(4);
  });
});

describe('connection frame reuse', () => {
  /** A Produce request with a 200 KiB records field: its frame spans reads and is pooled (256 KiB class). */
  const bigRequest = (id: number): Buffer =>
    encodeRequest(ApiKey.Produce, 3, id, 'reuse', {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(200 * 1024, id) }] }],
    });
  const answer = (id: number): { chunks: Buffer[] } => {
    const f = Buffer.alloc(8);
    f.writeInt32BE(4, 0);
    f.writeInt32BE(id, 4);
    return { chunks: [f] };
  };
  async function until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await sleep(5);
    }
  }

  it('a frame goes back to the pool only when the handler releases it, and is then reused', async () => {
    const { client, serverSide } = await pair();
    const pool = new FramePool();
    const frames: ArrayBufferLike[] = [];
    const dispatch: Dispatch = (req, ctx) => {
      const records = (req.body as { topicData: { partitionData: { records: Buffer }[] }[] }).topicData[0]!.partitionData[0]!.records;
      frames.push(records.buffer);
      expect(records.every((b) => b === (req.header.correlationId & 0xff))).toBe(true);
      if (req.header.correlationId !== 3) ctx.releaseFrame();
      ctx.releaseFrame(); // twice is harmless
      return answer(req.header.correlationId);
    };
    new Connection(serverSide, resolveConfig({ dataDir: '.' }), dispatch, silent, () => undefined, pool);
    let answered = 0;
    client.on('data', (d: Buffer) => (answered += d.length / 8));
    client.write(bigRequest(1));
    await until(() => answered >= 1);
    expect(pool.retainedBytes).toBe(256 * 1024);
    client.write(bigRequest(2));
    await until(() => answered >= 2);
    // The second request was joined into the first one's memory, and given back again.
    expect(frames[1]).toBe(frames[0]);
    expect(pool.retainedBytes).toBe(256 * 1024);
  });

  it('a handler that keeps the request bytes and does not release them never sees them reused', async () => {
    const { client, serverSide } = await pair();
    const pool = new FramePool();
    const kept: Buffer[] = [];
    const dispatch: Dispatch = (req) => {
      // Holds a view of the request, as the group coordinator keeps member metadata.
      kept.push((req.body as { topicData: { partitionData: { records: Buffer }[] }[] }).topicData[0]!.partitionData[0]!.records);
      return answer(req.header.correlationId);
    };
    new Connection(serverSide, resolveConfig({ dataDir: '.' }), dispatch, silent, () => undefined, pool);
    let answered = 0;
    client.on('data', (d: Buffer) => (answered += d.length / 8));
    for (const id of [5, 6, 7]) client.write(bigRequest(id));
    await until(() => answered >= 3);
    expect(pool.retainedBytes).toBe(0);
    expect(kept.map((k) => k.every((b) => b === k[0]) && k[0])).toEqual([5, 6, 7]);
  });
});
