// Causal tracing, Meng et al. 2022 "Locating and Editing Factual Associations in GPT", section 2.1:
// clean run -> P[o]; corrupted run (subject embeddings + N(0, nu^2)) -> P*[o]; corrupted-with-restoration
// run (one state h_i^(l) set to its clean value) -> P*_{clean h_i^(l)}[o]; IE = P*_{clean h} - P*.
import {
  createRng,
  InvalidRequestError,
  randomNormalArray,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import type { CausalLM, Hook, HookPoint } from '@llmedit/models';
import { tokenizeWithSubject } from './tokens.js';

/** Which state is restored: the block output (residual stream), or the MLP / attention output over a window of layers. */
export type TraceKind = 'residual' | 'mlp' | 'attn';

export const TRACE_KINDS: readonly TraceKind[] = ['residual', 'mlp', 'attn'];

export interface TraceFactOptions {
  prompt: string;
  /** Must occur in the prompt; its tokens are the ones corrupted. */
  subject: string;
  /** The answer whose first token is scored. Default: the clean run's argmax token. */
  target?: string;
  /** Noise samples averaged per restoration (ROME: 10). */
  samples?: number;
  /** Standard deviation of the Gaussian noise added to the subject's token embeddings. Default 3 x `embeddingStd(model)`. */
  noise?: number;
  /** Seed of the noise; the same noise is used for every restoration of the trace. Default 1. */
  seed?: number;
  kind?: TraceKind;
  /** Layers restored together for 'mlp' and 'attn' (centred on the layer). Default `defaultWindow(numLayers)`; 'residual' uses 1. */
  window?: number;
  /** Tokens per batched forward. Default 8192. */
  maxBatchTokens?: number;
}

/** The result of one causal trace. */
export interface CausalTrace {
  prompt: string;
  subject: string;
  kind: TraceKind;
  window: number;
  noise: number;
  samples: number;
  seed: number;
  tokenIds: number[];
  /** Each token decoded on its own. */
  tokens: string[];
  /** Subject tokens are [subjectStart, subjectEnd). */
  subjectStart: number;
  subjectEnd: number;
  /** The scored answer token. */
  answerId: number;
  answer: string;
  /** P[o] on the clean run. */
  cleanProbability: number;
  /** P*[o] with the subject corrupted, mean over the noise samples. */
  corruptedProbability: number;
  /** scores[token][layer]: P*[o] with that state restored, mean over the noise samples. */
  scores: number[][];
}

/**
 * ROME restores MLP/attention outputs over a window of 10 layers in 48-layer GPT-2 XL; the same fraction of
 * the depth (at least one layer) keeps the effect comparable on smaller models.
 */
export function defaultWindow(numLayers: number): number {
  return Math.max(1, Math.round((10 * numLayers) / 48));
}

/** The layers restored together for a window centred on `layer`: [layer - floor(w/2), layer + ceil(w/2)) within the model. */
export function windowLayers(layer: number, window: number, numLayers: number): number[] {
  const from = Math.max(0, layer - Math.floor(window / 2));
  const to = Math.min(numLayers, layer + Math.ceil(window / 2));
  const out: number[] = [];
  for (let l = from; l < to; l++) out.push(l);
  return out;
}

/** Hugging Face name of the token embedding matrix (not the LM head, which LLaMA may keep apart). */
export function tokenEmbeddingName(model: CausalLM): string {
  return model.config.architecture === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
}

/**
 * Standard deviation of token-embedding entries: over the tokens of `texts` (ROME's noise scale is 3x this
 * over the traced subjects), or over the whole embedding matrix when `texts` is absent or empty.
 */
export function embeddingStd(model: CausalLM, texts?: readonly string[]): number {
  const tokenizer = model.requireTokenizer();
  const ids = (texts ?? []).flatMap((text) => tokenizer.encode(text));
  const std = tf.tidy(() => {
    const table = model.weight(tokenEmbeddingName(model)) as Tensor2D;
    const rows = ids.length === 0 ? table : tf.gather(table, tf.tensor1d(Int32Array.from(ids), 'int32'));
    return tf.sqrt(tf.moments(rows).variance);
  });
  const value = std.dataSync()[0] as number;
  std.dispose();
  return value;
}

function hookPoint(model: CausalLM, kind: TraceKind, layer: number): HookPoint {
  if (kind === 'residual') return model.layout.residual(layer);
  return kind === 'mlp' ? model.layout.mlpOut(layer) : model.layout.attnOut(layer);
}

function checkOptions(options: TraceFactOptions, numLayers: number) {
  const samples = options.samples ?? 10;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new InvalidRequestError('trace', 'samples', `must be a positive integer, got ${samples}`);
  }
  const kind = options.kind ?? 'residual';
  if (!TRACE_KINDS.includes(kind)) {
    throw new InvalidRequestError('trace', 'kind', `must be one of ${TRACE_KINDS.join(', ')}, got ${kind}`);
  }
  const window = kind === 'residual' ? 1 : (options.window ?? defaultWindow(numLayers));
  if (!Number.isInteger(window) || window < 1) {
    throw new InvalidRequestError('trace', 'window', `must be a positive integer, got ${window}`);
  }
  if (options.noise !== undefined && !(Number.isFinite(options.noise) && options.noise >= 0)) {
    throw new InvalidRequestError('trace', 'noise', `must be a finite number >= 0, got ${options.noise}`);
  }
  const seed = options.seed ?? 1;
  const maxBatchTokens = options.maxBatchTokens ?? 8192;
  return { samples, kind, window, seed, maxBatchTokens };
}

/**
 * Trace where the model recalls `prompt` -> answer: corrupt the subject tokens' embeddings with seeded
 * Gaussian noise, then restore one state at one (token, layer) to its clean value and record the
 * probability of the answer's first token at the last position, averaged over the noise samples. All
 * restorations (and the corrupted baseline) run as rows of a few batched forwards.
 *
 * @example
 * const trace = traceFact(model, { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', kind: 'mlp' });
 * trace.scores[trace.subjectEnd - 1]; // recovered P(answer) per layer at the subject's last token
 */
export function traceFact(model: CausalLM, options: TraceFactOptions): CausalTrace {
  const numLayers = model.config.numLayers;
  const { samples, kind, window, seed, maxBatchTokens } = checkOptions(options, numLayers);
  const { prompt, subject } = options;
  const tokenized = tokenizeWithSubject(model, prompt, subject);
  const { ids, subjectStart, subjectEnd } = tokenized;
  const length = ids.length;
  const width = model.config.hiddenSize;
  const noise = options.noise ?? 3 * embeddingStd(model);
  const points = Array.from({ length: numLayers }, (_, l) => hookPoint(model, kind, l));

  // Clean run: the answer, its probability, and every state that a restoration copies.
  const clean = model.forward(
    { ids: [ids], attentionMask: [ids.map(() => 1)] },
    { logits: 'last', hooks: points.map((point) => ({ point, capture: true })) },
  );
  const cleanStates = points.map((point) => clean.captured[point.key] as Tensor3D);
  const noiseTable: Tensor[] = [];
  try {
    const cleanProbs = tf.tidy(() => tf.softmax(clean.logits as Tensor2D));
    const cleanValues = cleanProbs.dataSync();
    cleanProbs.dispose();
    const answerId = answerToken(model, prompt, options.target, cleanValues);
    const cleanProbability = cleanValues[answerId] as number;

    // One noise draw per sample, shared by every restoration: [samples, tokens, width], zero off the subject.
    const subjectLength = subjectEnd - subjectStart;
    const draws = randomNormalArray(createRng(seed), samples * subjectLength * width, noise);
    const table = new Float32Array(samples * length * width);
    for (let s = 0; s < samples; s++) {
      const from = s * subjectLength * width;
      table.set(draws.subarray(from, from + subjectLength * width), (s * length + subjectStart) * width);
    }
    noiseTable.push(tf.tensor3d(table, [samples, length, width]));

    // Rows: restoration r = (token t, layer l) for r < length * numLayers, then one unrestored row, each
    // repeated for every noise sample (row = r * samples + s).
    const restorations = length * numLayers;
    const totalRows = (restorations + 1) * samples;
    const probabilities = new Float32Array(totalRows);
    const rowsPerChunk = Math.max(1, Math.floor(maxBatchTokens / length));
    for (let first = 0; first < totalRows; first += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, totalRows - first);
      const values = runChunk(model, {
        first,
        count,
        samples,
        length,
        numLayers,
        window,
        kind,
        ids,
        points,
        cleanStates,
        noiseTable: noiseTable[0] as Tensor3D,
        answerId,
      });
      probabilities.set(values, first);
    }
    const meanOver = (r: number) => {
      let sum = 0;
      for (let s = 0; s < samples; s++) sum += probabilities[r * samples + s] as number;
      return sum / samples;
    };
    const scores = Array.from({ length }, (_, t) =>
      Array.from({ length: numLayers }, (_, l) => meanOver(t * numLayers + l)),
    );
    return {
      prompt,
      subject,
      kind,
      window,
      noise,
      samples,
      seed,
      tokenIds: [...ids],
      tokens: tokenized.labels,
      subjectStart,
      subjectEnd,
      answerId,
      answer: model.requireTokenizer().decode([answerId]),
      cleanProbability,
      corruptedProbability: meanOver(restorations),
      scores,
    };
  } finally {
    clean.logits?.dispose();
    for (const t of [...cleanStates, ...noiseTable]) t.dispose();
  }
}

function answerToken(
  model: CausalLM,
  prompt: string,
  target: string | undefined,
  cleanProbs: ArrayLike<number>,
): number {
  if (target === undefined) {
    let best = 0;
    for (let v = 1; v < cleanProbs.length; v++)
      if ((cleanProbs[v] as number) > (cleanProbs[best] as number)) best = v;
    return best;
  }
  const { targetIds } = model.requireTokenizer().encodePair(prompt, target);
  const first = targetIds[0];
  if (first === undefined) throw new InvalidRequestError('trace', 'target', 'encodes to no tokens');
  return first;
}

interface Chunk {
  first: number;
  count: number;
  samples: number;
  length: number;
  numLayers: number;
  window: number;
  kind: TraceKind;
  ids: readonly number[];
  points: readonly HookPoint[];
  cleanStates: readonly Tensor3D[];
  noiseTable: Tensor3D;
  answerId: number;
}

/** P(answer) at the last position for rows [first, first + count) of the trace's row plan. */
function runChunk(model: CausalLM, c: Chunk): Float32Array {
  const { count, length, numLayers, samples } = c;
  const restorations = length * numLayers;
  // keep[l] = 1 - restore[l]; masks [rows, tokens, 1], built on the host, only for layers a row restores.
  const restoreMasks = new Map<number, Float32Array>();
  const sampleOf = new Int32Array(count);
  for (let b = 0; b < count; b++) {
    const row = c.first + b;
    sampleOf[b] = row % samples;
    const r = Math.floor(row / samples);
    if (r >= restorations) continue;
    const token = Math.floor(r / numLayers);
    const centre = r % numLayers;
    const layers = c.kind === 'residual' ? [centre] : windowLayers(centre, c.window, numLayers);
    for (const l of layers) {
      let mask = restoreMasks.get(l);
      if (mask === undefined) {
        mask = new Float32Array(count * length);
        restoreMasks.set(l, mask);
      }
      mask[b * length + token] = 1;
    }
  }
  const owned: Tensor[] = [];
  try {
    const noise = tf.tidy(() => tf.gather(c.noiseTable, tf.tensor1d(sampleOf, 'int32')));
    owned.push(noise);
    const hooks: Hook[] = [{ point: model.layout.embed(), replace: (x) => tf.add(x, noise) as Tensor3D }];
    for (const [l, mask] of restoreMasks) {
      const restore = tf.tensor3d(mask, [count, length, 1]);
      const keep = tf.tensor3d(
        mask.map((m) => 1 - m),
        [count, length, 1],
      );
      owned.push(restore, keep);
      const cleanState = c.cleanStates[l] as Tensor3D;
      // x * keep + clean * restore is exact at both ends (x * 1 + clean * 0 = x; x * 0 + clean * 1 = clean).
      hooks.push({
        point: c.points[l] as HookPoint,
        replace: (x) => tf.add(tf.mul(x, keep), tf.mul(cleanState, restore)) as Tensor3D,
      });
    }
    const rows = Array.from({ length: count }, () => c.ids);
    const { logits } = model.forward(
      { ids: rows, attentionMask: rows.map(() => c.ids.map(() => 1)) },
      { hooks, logits: 'last' },
    );
    owned.push(logits as Tensor);
    const picked = tf.tidy(() =>
      tf.reshape(tf.gather(tf.softmax(logits as Tensor2D), tf.tensor1d([c.answerId], 'int32'), 1), [-1]),
    );
    owned.push(picked);
    return Float32Array.from(picked.dataSync());
  } finally {
    for (const t of owned) t.dispose();
  }
}
