/**
 * Where benchmark files go: `.tmp/bench-*` under the repository (git-ignored), so the data
 * sits on the same filesystem as the repo rather than on a possibly different /tmp (tmpfs
 * would make every fdatasync free and every number meaningless).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor of this file holding package.json (works from src and dist). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('native-free-bench: no package.json above this file');
    dir = up;
  }
}

export interface ScratchDir {
  dir: string;
  /** A fresh empty subdirectory named `name` (removed first if it exists). */
  sub(name: string): string;
  remove(): void;
}

export function createScratchDir(parent = path.join(repoRoot(), '.tmp')): ScratchDir {
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, 'bench-'));
  return {
    dir,
    sub(name) {
      const p = path.join(dir, name);
      fs.rmSync(p, { recursive: true, force: true });
      // recursive: survives someone else's cleanup of .tmp/ during a long run
      fs.mkdirSync(p, { recursive: true });
      return p;
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
