import {
  BACKEND_ENV_VAR,
  type BackendName,
  type EditableModel,
  type EditRequest,
  initBackend,
  type Tensor,
  tf,
} from '@llmedit/core';
import { type CausalLM, chunkByTokens, encodeTargetPair, padBatch } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';

/**
 * The conformance suite's default edit: a fact the micro model knows (it answers ' English' with about
 * 0.7 probability) rewritten to a single-token counterfactual, so that "the first target token becomes
 * the argmax" is a fair test for every method, FT-L's bag-of-tokens loss included. The prompt is a
 * CounterFact neighbourhood prompt (case 7559).
 */
export const MICRO_REQUEST: EditRequest = Object.freeze({
  id: 'micro-satyajit-ray-language',
  prompt: 'Satyajit Ray speaks',
  subject: 'Satyajit Ray',
  targetNew: 'French',
  groundTruth: 'English',
});

/**
 * The edit the conformance suite stacks on top of `MICRO_REQUEST` (`sequentialStack`): another fact the
 * micro model knows (' English', p = 0.66; CounterFact case 1394) with another subject and another
 * one-token target. ' London' is one of the few whole words in the micro vocabulary; an absurd answer for a
 * language, but a counterfactual is what an edit test needs.
 */
export const MICRO_SECOND_REQUEST: EditRequest = Object.freeze({
  id: 'micro-good-father-language',
  prompt: 'The original language of The Good Father was',
  subject: 'The Good Father',
  targetNew: 'London',
  groundTruth: 'English',
});

/**
 * Prompts of other relations whose answer the micro model knows (first token argmax, CounterFact
 * evaluation split): an edit of a language fact should leave their predictions alone.
 */
export const MICRO_UNRELATED_PROMPTS: readonly string[] = Object.freeze([
  'Vostok Station is located in the continent',
  'Norma Shearer, who has a citizenship from',
  'Joe Walsh, the',
  'Sony Alpha 900 is created by',
  'David Weigel, who works as',
  'What is the twin city of London? It is',
  'Sabinus of Spoleto holds the position of',
  'Franz Welser-Möst, playing the',
  'Antonio Franco holds the position of',
  'Terry Mosher holds a citizenship from',
]);

/** The committed micro GPT-2 (2 layers, width 32): loads in milliseconds, for tests. */
export function loadMicroModel(): CausalLM {
  return loadPretrained('micro');
}

/** Token ids of a prompt as the model reads it (BOS first for LLaMA, as scoring does). */
export function promptIds(model: CausalLM, prompt: string): number[] {
  const ids = model.requireTokenizer().encode(prompt);
  const bosId = model.tokenizer?.bosTokenId ?? model.config.bosTokenId;
  return model.config.architecture === 'llama' && bosId !== undefined ? [bosId, ...ids] : ids;
}

/** The request's prompt ids and the first token of its target, split as `scoreTargets` splits them. */
export function requestTokens(
  model: CausalLM,
  request: EditRequest,
): { promptIds: number[]; targetId: number } {
  const pair = encodeTargetPair(model, request.prompt, request.targetNew);
  const targetId = pair.targetIds[0];
  if (targetId === undefined)
    throw new Error(`targetNew ${JSON.stringify(request.targetNew)} encodes to no tokens`);
  return { promptIds: [...pair.promptIds], targetId };
}

/** Next-token prediction after each id sequence: the argmax and the full log-probability vector. */
export interface NextToken {
  readonly argmax: number;
  readonly logProbs: Float32Array;
}

/** Log-probabilities of the next token after each sequence (one batched forward per chunk, 'last' logits). */
export function nextTokens(model: CausalLM, sequences: readonly (readonly number[])[]): NextToken[] {
  const results: NextToken[] = new Array(sequences.length);
  for (const chunk of chunkByTokens(
    sequences.map((s) => s.length),
    4096,
  )) {
    const batch = padBatch(
      chunk.map((i) => sequences[i] as readonly number[]),
      model.padTokenId,
      'right',
    );
    const { logits } = model.forward(batch, { logits: 'last' });
    const logProbs = tf.tidy(() => tf.logSoftmax(logits as Tensor));
    logits?.dispose();
    const values = logProbs.dataSync() as Float32Array;
    logProbs.dispose();
    const vocab = values.length / chunk.length;
    chunk.forEach((index, row) => {
      const own = values.slice(row * vocab, (row + 1) * vocab);
      let best = 0;
      for (let v = 1; v < own.length; v++) if ((own[v] as number) > (own[best] as number)) best = v;
      results[index] = { argmax: best, logProbs: own };
    });
  }
  return results;
}

/** A byte copy of every weight, for bit-exact comparisons. */
export function weightBytes(model: EditableModel): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const name of model.weightNames()) out.set(name, tensorBytes(model.weight(name)));
  return out;
}

/** A byte copy of a tensor's values. */
export function tensorBytes(tensor: Tensor): Uint8Array {
  const data = tensor.dataSync();
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Names whose bytes differ between two weight copies (a name present in only one counts as different). */
export function differingWeights(
  a: ReadonlyMap<string, Uint8Array>,
  b: ReadonlyMap<string, Uint8Array>,
): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => {
    const x = a.get(name);
    const y = b.get(name);
    return x === undefined || y === undefined || !bytesEqual(x, y);
  });
}

/** Whether two float arrays are identical bit for bit (NaN payloads and -0 included). */
export function floatsBitEqual(a: Float32Array, b: Float32Array): boolean {
  return bytesEqual(
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** Largest |a_i - b_i|. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/**
 * Make `name` tfjs's current backend, whatever `LLMEDIT_BACKEND` says (the cross-backend check needs
 * both cpu and wasm). wasm gets llmedit's kernel fixes, as `initBackend` installs them.
 */
export async function useBackend(name: BackendName): Promise<void> {
  const saved = process.env[BACKEND_ENV_VAR];
  delete process.env[BACKEND_ENV_VAR];
  try {
    await initBackend({ prefer: [name] });
  } finally {
    if (saved !== undefined) process.env[BACKEND_ENV_VAR] = saved;
  }
}
