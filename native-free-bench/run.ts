/**
 * Entry point of `make bench`:
 *
 *   node dist/native-free-bench/run.js [--quick] [--only crc|compression|batch|index|storage[,...]]
 *                                      [--runs N] [--out docs/benchmarks.md] [--json FILE]
 *
 * The full run takes about 3–5 minutes and must run on a quiet machine; --quick (< 20 s)
 * only checks that the harness works and writes native-free-bench/results/quick.md unless
 * --out says otherwise. See suite.ts for what a run does.
 */
import type { Options } from './options.js';
import { parseArgs } from './options.js';
import { runAll } from './suite.js';

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const markdown = await runAll(options);
  process.stdout.write(markdown);
}

await main();
