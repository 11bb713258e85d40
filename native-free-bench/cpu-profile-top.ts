/**
 * Top frames of a V8 CPU profile (`node --cpu-prof`), by self time and by total time, as
 * quoted in docs/performance.md:
 *
 *   node dist/native-free-bench/cpu-profile-top.js FILE.cpuprofile [N]
 *
 * Self time = samples whose innermost frame is the function; total = samples with the
 * function anywhere on the stack (counted once per sample). Frames are keyed by function
 * name and file:line, with the repository prefix cut.
 */
import fs from 'node:fs';
import { repoRoot } from './scratch-dir.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

export interface FrameShare {
  frame: string;
  selfPct: number;
  totalPct: number;
}

function frameName(n: ProfileNode, root: string): string {
  const f = n.callFrame;
  const url = f.url.replace(`file://${root}/`, '').replace(/^node:/, 'node:');
  return `${f.functionName || '(anonymous)'}${url ? ` ${url}:${f.lineNumber + 1}` : ''}`;
}

export function topFrames(profile: Profile, root = repoRoot()): FrameShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const id of profile.samples) {
    const leaf = byId.get(id)!;
    const name = frameName(leaf, root);
    self.set(name, (self.get(name) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const nm = frameName(byId.get(cur)!, root);
      if (!seen.has(nm)) {
        seen.add(nm);
        total.set(nm, (total.get(nm) ?? 0) + 1);
      }
    }
  }
  const n = profile.samples.length;
  return [...total.keys()].map((frame) => ({ frame, selfPct: (100 * (self.get(frame) ?? 0)) / n, totalPct: (100 * total.get(frame)!) / n }));
}

function main(): void {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/native-free-bench/cpu-profile-top.js FILE.cpuprofile [N]\n');
    process.exitCode = 2;
    return;
  }
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const frames = topFrames(profile);
  const n = Number(count ?? 25);
  const durS = (profile.endTime - profile.startTime) / 1e6;
  const lines = [`${file}: ${profile.samples.length} samples over ${durS.toFixed(1)} s`, '', 'by self time:'];
  for (const f of [...frames].sort((a, b) => b.selfPct - a.selfPct).slice(0, n)) lines.push(`${f.selfPct.toFixed(1).padStart(6)}%  ${f.frame}`);
  lines.push('', 'by total time:');
  for (const f of [...frames].sort((a, b) => b.totalPct - a.totalPct).slice(0, n)) lines.push(`${f.totalPct.toFixed(1).padStart(6)}%  ${f.frame}`);
  // One write: piping into `head` must not end in EPIPE halfway.
  process.stdout.on('error', () => {});
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) main();
