/**
 * Command-line clients the tests drive (installed by scripts/install-test-tools.sh). A test whose
 * tool is missing is skipped on a developer's machine and fails under CI=true, where the install
 * step must have provided it.
 */
import { execFileSync } from 'node:child_process';

function runs(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when a test needing this tool should be skipped: the tool is missing and this is not CI. */
function skipWithout(available: boolean): boolean {
  return !available && process.env.CI !== 'true';
}

export const hasKcat = runs('kcat', ['-V']);
export const skipKcat = skipWithout(hasKcat);
export const hasPythonKafka = runs('/usr/bin/python3', ['-c', 'import confluent_kafka, kafka']);
export const skipPythonKafka = skipWithout(hasPythonKafka);
