/**
 * The few file-system moves whose ordering makes metadata crash-safe.
 *
 * `writeFileAtomic`: write `<file>.tmp`, fsync it, rename over `<file>`, fsync the directory.
 * After a crash the file is either the old version or the new one, never a mix; a leftover
 * `.tmp` is garbage that the next write replaces. `fsyncDir` makes a create, rename or unlink
 * in a directory durable (POSIX does not promise that fsync of a file does).
 *
 * All functions are async (libuv pool) and throw STORAGE_IO.
 */
import fs from 'node:fs';
import path from 'node:path';
import { storageIoError } from '../errors.js';

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    throw storageIoError(`fsync directory ${dir}`, err, { path: dir });
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    throw storageIoError(`fsync directory ${dir}`, err, { path: dir });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'w', 0o644);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    throw storageIoError(`write ${file}`, err, { path: file });
  }
  await fsyncDir(path.dirname(file));
}

/** Unlinks `file` (missing is fine) and makes that durable. */
export async function removeFileDurably(file: string): Promise<void> {
  try {
    await fs.promises.rm(file, { force: true });
  } catch (err) {
    throw storageIoError(`remove ${file}`, err, { path: file });
  }
  await fsyncDir(path.dirname(file));
}
