/**
 * librdkafka (through kcat, Debian package `kcat`) against the real broker: metadata, produce
 * with each codec librdkafka offers us, and consume back. Skipped where kcat is not installed;
 * .ci/run installs it.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBroker } from '../helpers/broker.js';
import { skipKcat } from '../helpers/tools.js';


let env: Awaited<ReturnType<typeof testBroker>>;

function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${env.broker.port}`, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe.skipIf(skipKcat)('kcat (librdkafka)', () => {
  beforeAll(async () => {
    env = await testBroker({ defaultPartitions: 1 });
  });
  afterAll(async () => {
    await env?.stop();
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
    it(`produces with -z ${codec} and consumes the same records back`, async () => {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: 50 }, (_, i) => `key${i % 5}:value-${codec}-${i}`);
      const p = await kcat(['-t', topic, '-P', '-K:', '-z', codec], lines.join('\n') + '\n');
      expect(p.stderr).not.toMatch(/error|fail/i);
      const c = await kcat(['-t', topic, '-C', '-e', '-o', 'beginning', '-f', '%o %k %s\\n']);
      expect(c.stderr).not.toMatch(/PROTOERR|parse failure|invalid/i);
      const got = c.stdout.trim().split('\n');
      expect(got).toEqual(lines.map((l, i) => `${i} ${l.replace(':', ' ')}`));
    });
  }

  it('lists metadata and reads from an offset', async () => {
    const m = await kcat(['-L', '-t', 'kcat-none']);
    expect(m.stdout).toContain(`broker 0 at 127.0.0.1:${env.broker.port}`);
    expect(m.stdout).toContain('topic "kcat-none" with 1 partitions');
    const c = await kcat(['-t', 'kcat-none', '-C', '-e', '-o', '45', '-f', '%o\\n']);
    expect(c.stdout.trim().split('\n')).toEqual(['45', '46', '47', '48', '49']);
  });
});
