// JSON files of a Hugging Face checkpoint folder (config.json, generation_config.json, index files).
import { readFileSync } from 'node:fs';
import { CheckpointError } from '@llmedit/core';
import { ioError, writeFileAtomic } from './file-io.js';

/**
 * Reads and parses a JSON file. `what` says what the file is for ('model config', 'shard index') and goes
 * into the message, so a user sees which file of the folder is broken and why. Throws CheckpointError.
 */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw ioError(file, `read ${what}`, cause);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new CheckpointError(file, `${what} is not valid JSON (${detail})`, undefined, { cause });
  }
}

/** `readJsonFile`, also requiring the top level to be an object. */
export function readJsonObject(file: string, what: string): Record<string, unknown> {
  const value = readJsonFile(file, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CheckpointError(file, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Writes `value` as JSON indented by 2 spaces with a trailing newline (the layout Hugging Face uses). */
export function writeJsonFile(file: string, value: unknown): void {
  const bytes = new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
  writeFileAtomic(file, (put) => put(bytes));
}
