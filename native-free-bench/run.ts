/**
 * Entry point of `make bench`:
 *
 *   node dist/native-free-bench/run.js [--quick] [--only crc|compression|batch|index|storage|limits|e2e|peers[,...]]
 *                                      [--runs N] [--out docs/benchmarks.md] [--json FILE]
 *
 * The full run takes about 3–5 minutes for the storage groups plus 3–4 for the end-to-end
 * ones (limits, e2e, peers: a broker and the peers in child processes, see e2e-bench.ts
 * and peers.ts) and must run on a quiet machine; --quick (under a minute) only checks that
 * the harness works and writes native-free-bench/results/quick.md unless --out says
 * otherwise. See suite.ts for what a run does.
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
