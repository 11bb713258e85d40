/**
 * One whole benchmark run as a function: every selected group, `options.runs` times, then
 * the report. Every selected group runs once per run, groups in the same order each time,
 * so a disturbance hits one run of everything rather than every run of one thing; the
 * report shows medians. Files go to .tmp/bench-* under the repository, removed at the end.
 * Selecting e2e also runs limits (its ratios need the same run's limits); the latency chart
 * of the end-to-end groups is written next to the report (e2e-report.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32cAddon, crc32cBackend, zstdBackend, zstdVersion } from '../src/format/index.js';
import { availableBackends } from './engine.js';
import { benchE2e } from './e2e-bench.js';
import { e2eGroups, latencyChart } from './e2e-report.js';
import { benchIndex } from './index-bench.js';
import type { LimitsRun } from './limits.js';
import { benchLimits } from './limits.js';
import { machineInfo } from './machine.js';
import type { Options } from './options.js';
import { benchPeers, peerSetup } from './peers.js';
import { benchBatch, benchCompression, benchCrc } from './primitives.js';
import { renderJson, renderMarkdown } from './report.js';
import { Results } from './results.js';
import { createScratchDir, repoRoot } from './scratch-dir.js';
import { benchStorage, storageShapes } from './storage-bench.js';
import { benchZstd } from './zstd-bench.js';

function logToStderr(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Runs the benchmarks, writes the report (and JSON when asked) and returns the markdown. */
export async function runAll(options: Options, log: (msg: string) => void = logToStderr, scratchParent?: string): Promise<string> {
  const root = repoRoot();
  const scratch = createScratchDir(scratchParent);
  const startedAt = new Date();
  const t0 = performance.now();
  try {
    const machine = machineInfo(scratch.dir);
    const results = new Results();
    const sizes = options.sizes;
    const backends = await availableBackends(scratch);
    // The end-to-end groups report ratios of the machine's limits, measured in the same run.
    const groups = e2eGroups(options.groups);
    log(`${sizes.mode} mode, ${options.runs} run(s), groups ${groups.join(',')}; CRC ${crc32cBackend}; zstd ${zstdBackend ?? 'none'}; backends ${backends.join(',')}; data in ${path.relative(root, scratch.dir)} (${machine.filesystem})`);
    const shapes = options.groups.includes('storage') ? storageShapes(sizes) : [];
    const peers = groups.includes('peers') ? peerSetup() : null;
    for (const note of peers?.skipped ?? []) log(`peers: ${note}`);
    let limits: LimitsRun | null = null;
    for (let run = 0; run < options.runs; run++) {
      for (const group of groups) {
        const g0 = performance.now();
        if (group === 'crc') await benchCrc(sizes, results);
        else if (group === 'compression') await benchCompression(sizes, results);
        else if (group === 'zstd') await benchZstd(sizes, results);
        else if (group === 'batch') await benchBatch(sizes, results);
        else if (group === 'index') await benchIndex(sizes, results, scratch, backends);
        else if (group === 'limits') limits = await benchLimits(sizes.mode, results, scratch);
        else if (group === 'e2e') await benchE2e({ mode: sizes.mode, results, scratch, limits: limits!, log });
        else if (group === 'peers') await benchPeers(sizes.mode, peers!, results, scratch, log);
        else await benchStorage({ sizes, results, scratch, backends, run }, shapes);
        log(`run ${run + 1}/${options.runs} ${group}: ${((performance.now() - g0) / 1000).toFixed(1)} s`);
      }
    }
    const input = {
      options,
      machine,
      startedAt,
      durationMs: performance.now() - t0,
      crcBackend: crc32cAddon ? `native (${crc32cAddon})` : crc32cBackend,
      zstdBackend: zstdBackend === null ? 'none' : zstdVersion ? `${zstdBackend} (libzstd ${zstdVersion})` : zstdBackend,
      backends,
      dataDir: scratch.dir,
      loadAverageEnd: os.loadavg(),
      results,
      peers,
    };
    const markdown = renderMarkdown(input);
    const out = path.resolve(root, options.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, markdown);
    log(`wrote ${path.relative(root, out)}`);
    const chart = latencyChart(input);
    if (chart !== null) {
      const svg = path.join(path.dirname(out), chart.file);
      fs.writeFileSync(svg, chart.svg);
      log(`wrote ${path.relative(root, svg)}`);
    }
    if (options.json) {
      const json = path.resolve(root, options.json);
      fs.mkdirSync(path.dirname(json), { recursive: true });
      fs.writeFileSync(json, renderJson(input));
      log(`wrote ${path.relative(root, json)}`);
    }
    return markdown;
  } finally {
    scratch.remove();
  }
}
