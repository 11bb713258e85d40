/**
 * Child processes of the end-to-end benchmarks (the broker, nats-server, redis-server, the
 * loopback peer): started on loopback, waited for until they print that they are ready,
 * stopped with SIGTERM (SIGKILL after a grace period). A process that exits early fails the
 * wait with the tail of its output, so a misconfigured peer says why.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

/** How long a child may take to say it is ready. */
export const childStartMsMax = 20_000;
/** How long a child may take to exit after SIGTERM before it is killed. */
export const childStopMsMax = 20_000;
/** Lines of a child's output kept for error messages. */
const TAIL_LINES = 20;

/** A free TCP port on 127.0.0.1 (bound and released: another process could take it first, which the child then reports). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The absolute path of `name` on PATH (or in the sbin directories Debian puts servers in), or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export interface Child {
  readonly proc: ChildProcess;
  /** SIGTERM (SIGKILL after childStopMsMax); resolves once the process exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `cmd args` and resolves once `ready(line)` returns something other than undefined
 * for a line of its stdout or stderr; `onLine` sees every line (also after ready).
 */
export async function startChild<T>(
  cmd: string,
  args: readonly string[],
  ready: (line: string) => T | undefined,
  onLine: (line: string) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: Child; value: T }> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const tail: string[] = [];
  let exited = false;
  const exitP = new Promise<void>((resolve) => proc.once('exit', () => ((exited = true), resolve())));
  const value = await new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => fail(new Error(`${path.basename(cmd)} not ready after ${childStartMsMax} ms:\n${tail.join('\n')}`)), childStartMsMax);
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(err);
    };
    const line = (l: string): void => {
      tail.push(l);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine(l);
      if (done) return;
      const v = ready(l);
      if (v !== undefined) {
        done = true;
        clearTimeout(timer);
        resolve(v);
      }
    };
    readline.createInterface({ input: proc.stdout! }).on('line', line);
    readline.createInterface({ input: proc.stderr! }).on('line', line);
    proc.once('error', (err) => fail(err));
    proc.once('exit', (code, signal) => fail(new Error(`${path.basename(cmd)} exited (${signal ?? code}) before it was ready:\n${tail.join('\n')}`)));
  });
  const child: Child = {
    proc,
    async stop() {
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), childStopMsMax);
      await exitP;
      clearTimeout(timer);
    },
  };
  return { child, value };
}
