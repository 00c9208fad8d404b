// Small fs helpers shared by the checkpoint readers and writers (Node only).
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError } from '@llmedit/core';

/** Node refuses single reads or writes above 2 GiB; larger tensors move in pieces of this size. */
const MAX_IO_CHUNK = 1 << 30;

/** Wraps an fs failure in CheckpointError (CheckpointErrors pass through unchanged). */
export function ioError(file: string, action: string, cause: unknown): CheckpointError {
  if (cause instanceof CheckpointError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const detail =
    code === 'ENOENT' ? 'file not found' : cause instanceof Error ? cause.message : String(cause);
  return new CheckpointError(file, `cannot ${action}: ${detail}`, undefined, { cause });
}

/** Runs `body` with `file` open for reading; wraps fs failures (missing file, permissions) in CheckpointError. */
export function withReadFile<T>(file: string, body: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw ioError(file, 'open', cause);
  }
  try {
    return body(fd);
  } catch (cause) {
    throw ioError(file, 'read', cause);
  } finally {
    closeSync(fd);
  }
}

/** Fills `target` from `position`; a short read means the file shrank or was truncated. */
export function readFully(fd: number, file: string, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.byteLength) {
    const length = Math.min(MAX_IO_CHUNK, target.byteLength - done);
    const read = readSync(fd, target, done, length, position + done);
    if (read === 0) {
      throw new CheckpointError(file, `unexpected end of file at byte ${position + done} (truncated file?)`);
    }
    done += read;
  }
}

/** Async twin of `readFully`. */
export async function readFullyAsync(
  handle: FileHandle,
  file: string,
  target: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    const length = Math.min(MAX_IO_CHUNK, target.byteLength - done);
    const { bytesRead } = await handle.read(target, done, length, position + done);
    if (bytesRead === 0) {
      throw new CheckpointError(file, `unexpected end of file at byte ${position + done} (truncated file?)`);
    }
    done += bytesRead;
  }
}

/**
 * Writes `file` by streaming chunks into a temporary sibling and renaming it into place, so a crash or a
 * failed write never leaves a half-written checkpoint under the real name.
 */
export function writeFileAtomic(file: string, write: (put: (bytes: Uint8Array) => void) => void): void {
  const temporary = `${file}.tmp-${process.pid}-${Date.now()}`;
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'w');
    const handle = fd;
    write((bytes) => {
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(handle, bytes, done, Math.min(MAX_IO_CHUNK, bytes.byteLength - done));
      }
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, file);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw ioError(file, 'write', cause);
  }
}
