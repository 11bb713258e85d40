/**
 * The other end of the loopback limits (limits.ts), run as a child process so that neither
 * side shares an event loop with the other, as with the broker and its clients. It prints
 * one line, `{"sink":PORT,"echo":PORT,"source":PORT}`, and serves until killed:
 *  - sink: reads and discards everything; when the client half-closes, answers with the
 *    byte count as a decimal line and closes;
 *  - echo: writes back every byte it reads;
 *  - source: reads one decimal line, a duration in ms, then writes 1 MiB buffers (with
 *    backpressure) for that long and closes: the server-to-client direction, as a broker
 *    answering fetches.
 */
import net from 'node:net';

async function listen(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

const sink = await listen((s) => {
  let bytes = 0;
  s.on('data', (chunk: Buffer) => (bytes += chunk.length));
  s.on('end', () => s.end(`${bytes}\n`));
  s.on('error', () => s.destroy());
});
const echo = await listen((s) => {
  s.on('data', (chunk: Buffer) => s.write(chunk));
  s.on('end', () => s.end());
  s.on('error', () => s.destroy());
});
const source = await listen((s) => {
  const chunk = Buffer.alloc(1 << 20, 0x73);
  let line = '';
  let started = false;
  s.on('data', (b: Buffer) => {
    line += b.toString('latin1');
    if (started || !line.includes('\n')) return;
    started = true;
    const ms = Number(line.trim());
    const t0 = performance.now();
    const pump = (): void => {
      while (performance.now() - t0 < ms) if (!s.write(chunk)) return void s.once('drain', pump);
      s.end();
    };
    pump();
  });
  s.on('error', () => s.destroy());
});
process.stdout.write(`${JSON.stringify({ sink, echo, source })}\n`);
