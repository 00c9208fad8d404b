// Loading a Hugging Face model folder served over HTTP (a browser page, or any runtime with `fetch`): the same
// files `loadModel` reads from disk, fetched relative to a base URL.
import { CheckpointError } from '@llmedit/core';
import type { CausalLM } from './causal-lm.js';
import type { DecodedTensor } from './checkpoint/safetensors-format.js';
import { parseSafetensors } from './checkpoint/safetensors-format.js';
import {
  parseShardIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
} from './checkpoint/shard-index.js';
import { parseHfConfig } from './config.js';
import { createModel } from './create.js';
import { fromTokenizerJson } from './tokenizer/bpe-tokenizer.js';
import { fromGpt2Files } from './tokenizer/loaders.js';
import type { Tokenizer } from './tokenizer/types.js';

/** What `fetch` the loaders need: a subset of the global `fetch`, so tests and servers can pass their own. */
export type FetchLike = (url: string) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}>;

export interface LoadModelFromOptions {
  /** Use this tokenizer instead of the folder's tokenizer files. */
  readonly tokenizer?: Tokenizer;
  /** The fetch to use; default the global `fetch`. */
  readonly fetch?: FetchLike;
}

/** `name` resolved against the folder URL `base` (a trailing slash is added, so `…/default` works). */
export function fileUrl(base: string | URL, name: string): string {
  const folder = String(base).endsWith('/') ? String(base) : `${String(base)}/`;
  // Relative bases ('/checkpoints/default/') resolve against the page when there is one.
  const origin = (globalThis as { location?: { href: string } }).location?.href;
  return new URL(name, origin === undefined ? folder : new URL(folder, origin)).href;
}

function fetchOf(options: { readonly fetch?: FetchLike }): FetchLike {
  if (options.fetch !== undefined) return options.fetch;
  if (typeof fetch !== 'function') {
    throw new CheckpointError('fetch', 'this runtime has no global fetch: pass options.fetch');
  }
  return (url) => fetch(url);
}

/** The bytes of `url`, or undefined for a 404 (a file the folder may lack); other failures throw. */
export async function fetchOptional(get: FetchLike, url: string): Promise<Uint8Array | undefined> {
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await get(url);
  } catch (error) {
    throw new CheckpointError(url, `cannot be fetched: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) throw new CheckpointError(url, `cannot be fetched: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The bytes of `url`; a missing file throws CheckpointError naming it. */
export async function fetchRequired(get: FetchLike, url: string, what: string): Promise<Uint8Array> {
  const bytes = await fetchOptional(get, url);
  if (bytes === undefined) throw new CheckpointError(url, `${what} not found (HTTP 404)`);
  return bytes;
}

function parseJson(bytes: Uint8Array, url: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CheckpointError(url, `invalid JSON: ${(error as Error).message}`, undefined, { cause: error });
  }
}

function jsonObject(bytes: Uint8Array, url: string): Record<string, unknown> {
  const json = parseJson(bytes, url);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(url, 'expected a JSON object');
  }
  return json as Record<string, unknown>;
}

async function fetchTokenizer(get: FetchLike, base: string | URL): Promise<Tokenizer> {
  const tokenizerUrl = fileUrl(base, 'tokenizer.json');
  const tokenizerJson = await fetchOptional(get, tokenizerUrl);
  if (tokenizerJson !== undefined) return fromTokenizerJson(parseJson(tokenizerJson, tokenizerUrl));
  const vocabUrl = fileUrl(base, 'vocab.json');
  const mergesUrl = fileUrl(base, 'merges.txt');
  const [vocab, merges] = await Promise.all([fetchOptional(get, vocabUrl), fetchOptional(get, mergesUrl)]);
  if (vocab === undefined || merges === undefined) {
    throw new CheckpointError(
      String(base),
      'no tokenizer found: looked for tokenizer.json, or vocab.json together with merges.txt',
    );
  }
  return fromGpt2Files(
    jsonObject(vocab, vocabUrl) as Record<string, number>,
    new TextDecoder().decode(merges),
  );
}

async function fetchWeights(get: FetchLike, base: string | URL): Promise<Map<string, DecodedTensor>> {
  // The single file first: most folders have one, and a browser logs every 404 as an error.
  const url = fileUrl(base, SAFETENSORS_WEIGHTS_NAME);
  const single = await fetchOptional(get, url);
  if (single !== undefined) return parseSafetensors(single, url);
  const indexUrl = fileUrl(base, SAFETENSORS_INDEX_NAME);
  const index = await fetchOptional(get, indexUrl);
  if (index === undefined) {
    throw new CheckpointError(
      String(base),
      `model weights not found: neither ${SAFETENSORS_WEIGHTS_NAME} nor ${SAFETENSORS_INDEX_NAME} (HTTP 404)`,
    );
  }
  const { weightMap } = parseShardIndex(jsonObject(index, indexUrl), indexUrl);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of weightMap) byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  const weights = new Map<string, DecodedTensor>();
  for (const [shard, names] of byShard) {
    const shardUrl = fileUrl(base, shard);
    const tensors = parseSafetensors(await fetchRequired(get, shardUrl, `shard '${shard}'`), shardUrl, {
      names,
    });
    for (const [name, tensor] of tensors) weights.set(name, tensor);
  }
  return weights;
}

/**
 * Load a Hugging Face model folder served at `base` (a URL, or a path relative to the page): `config.json`,
 * `model.safetensors` (or shards listed by `model.safetensors.index.json`) and `tokenizer.json` (or GPT-2's
 * `vocab.json` + `merges.txt`). The browser counterpart of Node's `loadModel(folder)`; weights decode to
 * float32. Failures throw CheckpointError naming the URL.
 *
 * @example
 * const model = await loadModelFrom('/checkpoints/default/');
 */
export async function loadModelFrom(
  base: string | URL,
  options: LoadModelFromOptions = {},
): Promise<CausalLM> {
  const get = fetchOf(options);
  const configUrl = fileUrl(base, 'config.json');
  const [configBytes, tokenizer, weights] = await Promise.all([
    fetchRequired(get, configUrl, 'model config'),
    options.tokenizer ?? fetchTokenizer(get, base),
    fetchWeights(get, base),
  ]);
  return createModel(parseHfConfig(jsonObject(configBytes, configUrl)), weights, tokenizer, String(base));
}
