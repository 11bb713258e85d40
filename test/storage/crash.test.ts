// Crash tests: a child process appends with flush-every-append and reports each acknowledged
// batch; the parent SIGKILLs it at random moments and checks, after every restart, that
// every acknowledged record is back with its offset and contents, that nothing was invented,
// and that appends continue at the right offset. The fixture runs from dist/ (`tsc` first).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, openEngine, readAll, rmDir, tmpDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.resolve(here, '../../dist/test/storage/fixtures/crash-writer.js');
const ROUNDS = 10;

interface ChildRun {
  start: number;
  acks: Map<number, string>;
}

/** Runs the writer until it has acknowledged something and `ms` more have passed, then SIGKILLs it. */
function runAndKill(dataDir: string, backend: string, round: number, ms: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dataDir, backend, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { start: -1, acks: new Map() };
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!; // a line cut by the kill is not an acknowledgement
      for (const line of lines) {
        const [kind, a, b, values] = line.split(' ');
        if (kind === 'START') run.start = Number(a);
        if (kind === 'ACK') {
          const vs = values!.split(',');
          expect(Number(b) - Number(a) + 1).toBe(vs.length);
          vs.forEach((v, i) => run.acks.set(Number(a) + i, v));
          timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(run);
      else reject(new Error(`writer exited with ${code}: ${err}`));
    });
  });
}

describe.each(BACKENDS)('crash recovery with SIGKILL (%s backend)', (backend) => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('tributary-crash-');
  });
  afterEach(() => rmDir(dir));

  it(`keeps every acknowledged record over ${ROUNDS} kills`, async () => {
    expect(fs.existsSync(fixture), `${fixture} is missing: run \`npx tsc -p tsconfig.json\` (make test does)`).toBe(true);
    const acked = new Map<number, string>();
    let expectedEnd = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const run = await runAndKill(dir, backend, round, crypto.randomInt(0, 250));
      expect(run.start).toBe(expectedEnd); // appends continue at the recovered end
      for (const [o, v] of run.acks) acked.set(o, v);

      const e = await openEngine(dir, backend);
      expect(e.hadCleanShutdown).toBe(false);
      const recs = readAll(e, 'c');
      await e.close();
      // Offsets are dense from 0; every acknowledged record is there, unchanged.
      expect(recs.map((r) => r.offset)).toEqual(recs.map((_, i) => i));
      const byOffset = new Map(recs.map((r) => [r.offset, r.value.replace(/\.+$/, '')]));
      for (const [o, v] of acked) expect(byOffset.get(o), `offset ${o}`).toBe(v);
      // Nothing invented: records beyond the acknowledged ones are writes this round attempted.
      for (const r of recs) {
        const v = byOffset.get(r.offset)!;
        if (!acked.has(r.offset)) {
          expect(v.startsWith(`${round}:`), `unacknowledged offset ${r.offset} = ${v}`).toBe(true);
          acked.set(r.offset, v); // it is in the log now; later rounds must keep it
        }
      }
      expect(recs.length).toBeGreaterThanOrEqual(Math.max(0, ...acked.keys()) + 1);
      expectedEnd = recs.length;
    }
    expect(acked.size).toBeGreaterThan(ROUNDS);
  }, 90_000);
});
