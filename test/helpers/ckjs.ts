/**
 * librdkafka 2.15.1 through @confluentinc/kafka-javascript, for tests that need a current
 * librdkafka: the project's dependency when it is installed, else $CKJS_DIR, else the build on
 * this machine (/tmp/ckjs). Null when none loads (the tests that need it are then skipped).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const CANDIDATES = ['@confluentinc/kafka-javascript', process.env.CKJS_DIR, '/tmp/ckjs/node_modules/@confluentinc/kafka-javascript'];

export function loadCkjs<T>(): { module: T; version: string } | null {
  for (const c of CANDIDATES) {
    if (!c) continue;
    try {
      const module = require(c) as T;
      const main = require.resolve(c);
      const pkg = require(path.join(main.slice(0, main.lastIndexOf('node_modules') + 'node_modules'.length), '@confluentinc/kafka-javascript', 'package.json')) as { version: string };
      return { module, version: pkg.version };
    } catch {
      // next candidate
    }
  }
  return null;
}
