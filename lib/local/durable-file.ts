import { type FileHandle, open } from "node:fs/promises";

/**
 * What the local pipeline's durable files (the SQS journal, the audit spool and its objects) share:
 * writes that are not cut short, and directory entries that survive a crash.
 */

/** Writes all of `buffer`: a single `write` may write less than it was given. */
export async function writeFully(handle: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

/** Makes a new or renamed directory entry durable: it lives in the directory, not in the file. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
