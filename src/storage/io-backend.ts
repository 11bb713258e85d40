/**
 * How segment and index bytes reach the disk: the I/O backend.
 *
 * Two backends with one contract, chosen once per engine:
 *  - `mmap`: each .log file is memory-mapped read-only, once, with a large virtual capacity
 *    (max(segment.bytes, bytes needed), capped at `mmapBytesMax`); appends still go through
 *    `fs.writeSync` at the end position (the mapping is MAP_SHARED, so it sees them at once)
 *    and reads are zero-copy `Buffer` slices of the mapping. Index files are mapped
 *    read-write and entries are stored straight into the mapping.
 *  - `file`: plain positional reads into new buffers; index files are held in memory and
 *    every entry is also written through with `pwrite`.
 * `auto` picks mmap and falls back to file, logging once, when mmap-io cannot be loaded.
 *
 * The SIGBUS rule: touching a mapped page that lies wholly beyond the end of its file kills
 * the process. So no backend ever shrinks a mapped file while the process may hold slices of
 * it: runtime truncation overwrites the discarded bytes with zeros instead, and files are
 * only shrunk by `truncateFile`, which storage calls while opening (before any slice exists).
 *
 * Concurrency: all methods are synchronous except `datasync`, which runs fdatasync on the
 * libuv pool. Callers (one `LogSegment` each) serialise writes.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { storageIoError } from '../errors.js';
import { mmapBytesMax } from '../limits.js';
import type { Logger } from '../logger.js';

export type BackendName = 'auto' | 'mmap' | 'file';

/** The system calls storage makes that tests may replace (to count fdatasyncs or inject ENOSPC). */
export interface IoHooks {
  writeSync(fd: number, buf: Buffer, offset: number, length: number, position: number): number;
  /** fdatasync on the libuv pool; never blocks the event loop. */
  fdatasync(fd: number): Promise<void>;
}

export const defaultIoHooks: IoHooks = {
  writeSync: (fd, buf, offset, length, position) => fs.writeSync(fd, buf, offset, length, position),
  fdatasync: (fd) =>
    new Promise<void>((resolve, reject) => {
      fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()));
    }),
};

/**
 * One open .log file. `size` is the logical end, where the next append goes; after a runtime
 * truncation the file may physically be longer (zeros, see the SIGBUS rule).
 */
export interface LogFile {
  readonly path: string;
  readonly size: number;
  /** True when `read` returns slices of a mapping rather than copies. */
  readonly zeroCopy: boolean;
  /** Appends `buf` at `size`. On failure nothing of it remains and STORAGE_IO is thrown. */
  append(buf: Buffer): void;
  /** Up to `len` bytes at `pos`, never past `size`: a zero-copy slice (mmap) or a fresh copy (file). */
  read(pos: number, len: number): Buffer;
  /** Overwrites [from, physical end) with zeros and moves `size` back to `from`; the file keeps its length. */
  zeroFrom(from: number): void;
  /** Shrinks the file to `size` bytes; only while opening, before any slice of it was handed out. */
  truncateFile(size: number): void;
  /** Maps at least `bytes` of address space so appends need no remapping (the active segment). */
  reserve(bytes: number): void;
  datasync(): Promise<void>;
  close(): void;
}

/** One open index file of fixed-size entries, as a buffer the index reads and writes in place. */
export interface IndexFile {
  readonly path: string;
  /** The whole file's bytes: the mapping (mmap) or an in-memory copy (file). */
  readonly buf: Buffer;
  /** Stores `bytes` at `pos` (into the mapping, or into memory and through pwrite). */
  write(pos: number, bytes: Buffer): void;
  /** Changes the file length to `bytes` (trim on roll/close, preallocate on reopen). */
  resize(bytes: number): void;
  sync(): Promise<void>;
  close(): void;
}

export interface IoBackend {
  readonly name: 'mmap' | 'file';
  /** Opens (creating when `create`) a log file; `capacity` is the mapping size hint. */
  openLog(path: string, opts: { create: boolean; capacity: number }): LogFile;
  /** Opens (creating when `create`) an index file and sets its length to `bytes` when given. */
  openIndex(path: string, opts: { create: boolean; bytes?: number }): IndexFile;
}

// ---- shared helpers ----------------------------------------------------------------------

function openFd(path: string, create: boolean): number {
  try {
    return fs.openSync(path, create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR, 0o644);
  } catch (err) {
    throw storageIoError(`open ${path}`, err, { path });
  }
}

function fileSize(fd: number, path: string): number {
  try {
    return fs.fstatSync(fd).size;
  } catch (err) {
    throw storageIoError(`fstat ${path}`, err, { path });
  }
}

function ftruncate(fd: number, size: number, path: string): void {
  try {
    fs.ftruncateSync(fd, size);
  } catch (err) {
    throw storageIoError(`ftruncate ${path}`, err, { path, size });
  }
}

/** Writes all of `buf` at `position`, looping over short writes. */
function writeFully(hooks: IoHooks, fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = hooks.writeSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
    done += n;
  }
}

const ZEROS = Buffer.alloc(1 << 20);

/**
 * The append both backends share: on any failure (ENOSPC, EIO, a short write) the bytes are
 * undone, so a half-written batch can never be mistaken for data, and the error is rethrown
 * as STORAGE_IO. Undoing never shrinks the file below `fileBytes` (the SIGBUS rule): inside
 * the old length the bytes are zeroed again, beyond it the file is cut back.
 */
function appendAt(hooks: IoHooks, fd: number, path: string, buf: Buffer, at: number, fileBytes: number): void {
  try {
    writeFully(hooks, fd, buf, at);
  } catch (err) {
    let rollbackFailed = false;
    try {
      if (at < fileBytes) zeroRange(hooks, fd, path, at, Math.min(at + buf.length, fileBytes));
      fs.ftruncateSync(fd, Math.max(at, fileBytes));
    } catch {
      // The caller marks the log failed; recovery will cut the torn tail at the next open.
      rollbackFailed = true;
    }
    throw storageIoError(`write ${path}`, err, { path, position: at, bytes: buf.length, rollbackFailed });
  }
}

function zeroRange(hooks: IoHooks, fd: number, path: string, from: number, to: number): void {
  try {
    for (let pos = from; pos < to; pos += ZEROS.length) {
      writeFully(hooks, fd, ZEROS.subarray(0, Math.min(ZEROS.length, to - pos)), pos);
    }
  } catch (err) {
    throw storageIoError(`zero ${path}`, err, { path, from, to });
  }
}

function closeFd(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Closing can only fail with EBADF or EIO after the data was already synced or abandoned.
  }
}

function syncFd(hooks: IoHooks, fd: number, path: string): Promise<void> {
  return hooks.fdatasync(fd).catch((err: unknown) => {
    throw storageIoError(`fdatasync ${path}`, err, { path });
  });
}

// ---- file backend ----------------------------------------------------------------------

class PlainLogFile implements LogFile {
  readonly zeroCopy = false;
  size: number;
  /** Physical file length (>= size). */
  private fileBytes: number;
  private readonly fd: number;

  constructor(
    readonly path: string,
    create: boolean,
    private readonly hooks: IoHooks,
  ) {
    this.fd = openFd(path, create);
    this.size = this.fileBytes = fileSize(this.fd, path);
  }

  append(buf: Buffer): void {
    appendAt(this.hooks, this.fd, this.path, buf, this.size, this.fileBytes);
    this.size += buf.length;
    this.fileBytes = Math.max(this.fileBytes, this.size);
  }

  read(pos: number, len: number): Buffer {
    len = Math.max(0, Math.min(len, this.size - pos));
    const out = Buffer.allocUnsafe(len);
    let done = 0;
    try {
      while (done < len) {
        const n = fs.readSync(this.fd, out, done, len - done, pos + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw storageIoError(`read ${this.path}`, err, { path: this.path, pos, len });
    }
    return done === len ? out : out.subarray(0, done);
  }

  zeroFrom(from: number): void {
    zeroRange(this.hooks, this.fd, this.path, from, this.fileBytes);
    this.size = from;
  }

  truncateFile(size: number): void {
    ftruncate(this.fd, size, this.path);
    this.size = this.fileBytes = size;
  }

  reserve(_bytes: number): void {
    // Nothing to map.
  }

  datasync(): Promise<void> {
    return syncFd(this.hooks, this.fd, this.path);
  }

  close(): void {
    closeFd(this.fd);
  }
}

class PlainIndexFile implements IndexFile {
  buf: Buffer;
  private readonly fd: number;

  constructor(
    readonly path: string,
    opts: { create: boolean; bytes?: number },
    private readonly hooks: IoHooks,
  ) {
    this.fd = openFd(path, opts.create);
    if (opts.bytes !== undefined) ftruncate(this.fd, opts.bytes, path);
    const size = fileSize(this.fd, path);
    this.buf = Buffer.alloc(size);
    try {
      let done = 0;
      while (done < size) {
        const n = fs.readSync(this.fd, this.buf, done, size - done, done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      closeFd(this.fd);
      throw storageIoError(`read ${path}`, err, { path });
    }
  }

  write(pos: number, bytes: Buffer): void {
    bytes.copy(this.buf, pos);
    try {
      writeFully(this.hooks, this.fd, bytes, pos);
    } catch (err) {
      throw storageIoError(`write ${this.path}`, err, { path: this.path, pos });
    }
  }

  resize(bytes: number): void {
    ftruncate(this.fd, bytes, this.path);
    const next = Buffer.alloc(bytes);
    this.buf.copy(next, 0, 0, Math.min(bytes, this.buf.length));
    this.buf = next;
  }

  sync(): Promise<void> {
    return syncFd(this.hooks, this.fd, this.path);
  }

  close(): void {
    closeFd(this.fd);
  }
}

export function fileBackend(hooks: IoHooks = defaultIoHooks): IoBackend {
  return {
    name: 'file',
    openLog: (path, opts) => new PlainLogFile(path, opts.create, hooks),
    openIndex: (path, opts) => new PlainIndexFile(path, opts, hooks),
  };
}

// ---- mmap backend ----------------------------------------------------------------------

interface MmapIo {
  map(size: number, protection: number, flags: number, fd: number, offset?: number): Buffer;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_SHARED: number;
  readonly PAGESIZE: number;
}

let mmapIo: MmapIo | null | undefined;
let mmapLoadError: unknown;

/** The mmap-io addon, or null when it cannot be loaded on this machine. */
export function loadMmapIo(): MmapIo | null {
  if (mmapIo === undefined) {
    try {
      mmapIo = createRequire(import.meta.url)('mmap-io') as MmapIo;
    } catch (err) {
      mmapIo = null;
      mmapLoadError = err;
    }
  }
  return mmapIo;
}

function mapFd(mm: MmapIo, fd: number, size: number, prot: number, path: string): Buffer {
  try {
    return mm.map(size, prot, mm.MAP_SHARED, fd, 0);
  } catch (err) {
    throw storageIoError(`mmap ${path}`, err, { path, size });
  }
}

class MappedLogFile implements LogFile {
  readonly zeroCopy = true;
  size: number;
  /** Physical file length (>= size). */
  private fileBytes: number;
  private readonly fd: number;
  /** The mapping: address space of which [0, fileBytes) is file data. */
  private map: Buffer;

  constructor(
    readonly path: string,
    opts: { create: boolean; capacity: number },
    private readonly mm: MmapIo,
    private readonly hooks: IoHooks,
  ) {
    this.fd = openFd(path, opts.create);
    this.size = this.fileBytes = fileSize(this.fd, path);
    this.map = Buffer.alloc(0);
    this.reserve(Math.max(opts.capacity, this.size));
  }

  reserve(bytes: number): void {
    if (bytes <= this.map.length) return;
    if (bytes > mmapBytesMax) throw storageIoError(`mmap ${this.path}`, new Error(`mapping of ${bytes} bytes exceeds ${mmapBytesMax}`), { bytes });
    // Slices of the old mapping stay valid: it is unmapped only when the last of them is collected.
    this.map = mapFd(this.mm, this.fd, bytes, this.mm.PROT_READ, this.path);
  }

  append(buf: Buffer): void {
    const needed = this.size + buf.length;
    if (needed > this.map.length) this.reserve(Math.min(mmapBytesMax, Math.max(needed, this.map.length * 2)));
    appendAt(this.hooks, this.fd, this.path, buf, this.size, this.fileBytes);
    this.size = needed;
    this.fileBytes = Math.max(this.fileBytes, needed);
  }

  read(pos: number, len: number): Buffer {
    // Never past `size`: pages beyond the end of the file would raise SIGBUS.
    return this.map.subarray(pos, Math.max(pos, Math.min(pos + len, this.size)));
  }

  zeroFrom(from: number): void {
    zeroRange(this.hooks, this.fd, this.path, from, this.fileBytes);
    this.size = from;
  }

  truncateFile(size: number): void {
    ftruncate(this.fd, size, this.path);
    this.size = this.fileBytes = size;
  }

  datasync(): Promise<void> {
    return syncFd(this.hooks, this.fd, this.path);
  }

  close(): void {
    // The mapping outlives the descriptor; slices handed out stay readable.
    closeFd(this.fd);
  }
}

class MappedIndexFile implements IndexFile {
  buf: Buffer;
  private readonly fd: number;

  constructor(
    readonly path: string,
    opts: { create: boolean; bytes?: number },
    private readonly mm: MmapIo,
    private readonly hooks: IoHooks,
  ) {
    this.fd = openFd(path, opts.create);
    if (opts.bytes !== undefined) ftruncate(this.fd, opts.bytes, path);
    this.buf = this.mapWhole(fileSize(this.fd, path));
  }

  private mapWhole(size: number): Buffer {
    return size === 0 ? Buffer.alloc(0) : mapFd(this.mm, this.fd, size, this.mm.PROT_READ | this.mm.PROT_WRITE, this.path);
  }

  write(pos: number, bytes: Buffer): void {
    bytes.copy(this.buf, pos);
  }

  resize(bytes: number): void {
    // Only the index itself reads this mapping, and it never reads past its entries.
    ftruncate(this.fd, bytes, this.path);
    this.buf = this.mapWhole(bytes);
  }

  sync(): Promise<void> {
    // On Linux fdatasync writes back the file's dirty pages, however they were dirtied.
    return syncFd(this.hooks, this.fd, this.path);
  }

  close(): void {
    closeFd(this.fd);
  }
}

export function mmapBackend(hooks: IoHooks = defaultIoHooks): IoBackend {
  const mm = loadMmapIo();
  if (!mm) throw storageIoError('load mmap-io', mmapLoadError);
  return {
    name: 'mmap',
    openLog: (path, opts) => new MappedLogFile(path, opts, mm, hooks),
    openIndex: (path, opts) => new MappedIndexFile(path, opts, mm, hooks),
  };
}

let fallbackLogged = false;

/** Resolves a backend name; 'auto' prefers mmap and logs (once per process) when it falls back. */
export function createBackend(name: BackendName, log: Logger, hooks: IoHooks = defaultIoHooks): IoBackend {
  if (name === 'file') return fileBackend(hooks);
  if (name === 'mmap') return mmapBackend(hooks);
  if (loadMmapIo()) return mmapBackend(hooks);
  if (!fallbackLogged) {
    fallbackLogged = true;
    log.warn({ err: String(mmapLoadError) }, 'mmap-io is not available; storage uses the file backend');
  }
  return fileBackend(hooks);
}
