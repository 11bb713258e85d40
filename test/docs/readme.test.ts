/**
 * The README's embedding example, run as written against the built package (its `exports`
 * entry points, resolved by Node's package self-reference), so the documented API cannot drift.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('README', () => {
  it('the embedding example runs and reads back what it appended', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const example = /## Embedding the storage engine\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README has an embedding example').toBeDefined();
    const t = tmpDir();
    try {
      // Same code, with the data directory pointed at a temp dir and the result printed.
      const code = example!.replace(/'\.\/data'/g, JSON.stringify(t.dir)) + '\nconsole.log(JSON.stringify({ baseOffset, bytes: batches.reduce((n, b) => n + b.length, 0) }));\n';
      const file = path.join(root, `.readme-example-${process.pid}.mjs`);
      fs.writeFileSync(file, code);
      try {
        const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as { baseOffset: number; bytes: number };
        expect(r.baseOffset).toBe(0);
        expect(r.bytes).toBeGreaterThan(61);
      } finally {
        fs.rmSync(file, { force: true });
      }
    } finally {
      t.cleanup();
    }
  });

  it('the package entry exports the broker, the engine and the format', async () => {
    const entry = await import(path.join(root, 'dist/src/index.js'));
    for (const name of ['startBroker', 'StorageEngine', 'encodeBatch', 'decodeBatch', 'KafkaConnection', 'TributaryError']) expect(entry[name], name).toBeTypeOf('function');
  });
});
