/**
 * Connection back-pressure, on a real loopback socket pair: a client that does not read its
 * responses makes the server stop reading its requests once queued output passes
 * connectionOutputBytesMax, and reading resumes once the client drains; responses stay in order.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, FrameDecoder, encodeRequest } from '../../src/protocol/index.js';
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
