// SERAC's scope classifier g(x, z_e) (Mitchell et al. 2022, arXiv:2206.06520, section 3.1), scored as a
// weighted late-interaction similarity (ColBERT's MaxSim, Khattab & Zaharia 2020, eq. 3) over frozen features.
import { createRng, InvalidRequestError, type Tensor, type Tensor2D, tf, type Variable } from '@llmedit/core';
import type { TokenFeatures } from './features.js';

/**
 * The trained weights. For an edit's tokens c_i and a query's tokens x_j (rows of `TokenFeatures`):
 *   p(in scope) = sigmoid(scale · Σ_i w_i max_j cos(P c_i, P x_j) / Σ_i w_i + offset),  w_i = softplus(u · c_i + β)
 * P projects to a space where the tokens that identify a fact (its subject) match, and w_i learns which of
 * the edit's tokens matter: the relation words are shared with every neighbouring fact, the subject is not.
 * Every token of the edit must find a match, so extra words in the query (a paraphrase's preamble) cost
 * nothing while a different subject does.
 */
export interface ScopeClassifierWeights {
  /** Feature width (2 · hiddenSize of the base model). */
  readonly width: number;
  /** Projection width. */
  readonly dim: number;
  /** P, [width, dim] row-major. */
  readonly projection: Float32Array;
  /** u, [width]. */
  readonly importance: Float32Array;
  readonly importanceBias: number;
  readonly scale: number;
  readonly offset: number;
}

/** An edit (or query) text projected once: unit rows of P·c, and for edits the token weights. */
export interface ProjectedText {
  readonly tokens: number;
  readonly rows: Float32Array;
  /** w_i (edits only; empty for queries). */
  readonly weights: Float32Array;
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

/** Project a text's features with P (unit rows) and, when `withWeights`, its token weights w_i. */
export function projectText(
  classifier: ScopeClassifierWeights,
  features: TokenFeatures,
  withWeights: boolean,
): ProjectedText {
  const { width, dim, projection, importance, importanceBias } = classifier;
  if (features.width !== width) {
    throw new InvalidRequestError(
      'serac scope classifier',
      'features.width',
      `is ${features.width}; the classifier was trained on width ${width} (another base model?)`,
    );
  }
  const rows = new Float32Array(features.tokens * dim);
  const weights = new Float32Array(withWeights ? features.tokens : 0);
  for (let t = 0; t < features.tokens; t++) {
    const base = t * width;
    let logit = importanceBias;
    for (let i = 0; i < width; i++) {
      const f = features.data[base + i] as number;
      if (f === 0) continue;
      logit += f * (importance[i] as number);
      const row = i * dim;
      for (let k = 0; k < dim; k++)
        rows[t * dim + k] = (rows[t * dim + k] as number) + f * (projection[row + k] as number);
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += (rows[t * dim + k] as number) ** 2;
    const scale = 1 / Math.sqrt(norm + 1e-12);
    for (let k = 0; k < dim; k++) rows[t * dim + k] = (rows[t * dim + k] as number) * scale;
    if (withWeights) weights[t] = softplus(logit);
  }
  return { tokens: features.tokens, rows, weights };
}

/** p(query in the scope of edit), in [0, 1]. 0 for an empty query or edit. */
export function scopeProbability(
  classifier: ScopeClassifierWeights,
  edit: ProjectedText,
  query: ProjectedText,
): number {
  const { dim } = classifier;
  if (edit.tokens === 0 || query.tokens === 0) return 0;
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < edit.tokens; i++) {
    let best = -1;
    for (let j = 0; j < query.tokens; j++) {
      let dot = 0;
      for (let k = 0; k < dim; k++)
        dot += (edit.rows[i * dim + k] as number) * (query.rows[j * dim + k] as number);
      if (dot > best) best = dot;
    }
    const w = edit.weights[i] as number;
    weighted += w * best;
    total += w;
  }
  const similarity = weighted / Math.max(total, 1e-12);
  return 1 / (1 + Math.exp(-(classifier.scale * similarity + classifier.offset)));
}

/** One training pair: an edit's text, a query's text, and whether the query is in the edit's scope. */
export interface ScopePair {
  readonly edit: TokenFeatures;
  readonly query: TokenFeatures;
  readonly inScope: boolean;
}

export interface ScopeTrainingOptions {
  readonly dim: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
  /** Called after every batch with the fraction done and the running loss. */
  readonly onStep?: (fraction: number, loss: number) => void;
}

function padded(features: readonly TokenFeatures[], width: number): { values: Tensor; mask: Tensor2D } {
  const longest = Math.max(1, ...features.map((f) => f.tokens));
  const values = new Float32Array(features.length * longest * width);
  const mask = new Float32Array(features.length * longest);
  features.forEach((f, b) => {
    values.set(f.data, b * longest * width);
    mask.fill(1, b * longest, b * longest + f.tokens);
  });
  return {
    values: tf.tensor3d(values, [features.length, longest, width]),
    mask: tf.tensor2d(mask, [features.length, longest]),
  };
}

/**
 * Train the classifier on labelled pairs with binary cross-entropy and Adam. Deterministic for a seed.
 * Returns the weights and the loss of the last epoch.
 */
export function trainScopeClassifier(
  pairs: readonly ScopePair[],
  width: number,
  options: ScopeTrainingOptions,
): { weights: ScopeClassifierWeights; finalLoss: number } {
  const rng = createRng(options.seed);
  const init = new Float32Array(width * options.dim);
  for (let i = 0; i < init.length; i++) init[i] = rng.normal() / Math.sqrt(width);
  // tf.variable shares the initial tensor's data but not its handle: release the handle.
  const variable = (initial: Tensor): Variable => {
    const v = tf.variable(initial, true);
    initial.dispose();
    return v;
  };
  const projection = variable(tf.tensor2d(init, [width, options.dim]));
  const importance = variable(tf.zeros([width, 1]));
  const importanceBias = variable(tf.scalar(0));
  const scale = variable(tf.scalar(8));
  const offset = variable(tf.scalar(-4));
  const variables: Variable[] = [projection, importance, importanceBias, scale, offset];
  const optimizer = tf.train.adam(options.learningRate);
  const order = pairs.map((_, i) => i);
  const batches = Math.ceil(pairs.length / options.batchSize);
  let epochLoss = Number.NaN;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        options.signal?.throwIfAborted();
        const chosen = order
          .slice(b * options.batchSize, (b + 1) * options.batchSize)
          .map((i) => pairs[i] as ScopePair);
        const edits = padded(
          chosen.map((p) => p.edit),
          width,
        );
        const queries = padded(
          chosen.map((p) => p.query),
          width,
        );
        const labels = tf.tensor1d(chosen.map((p) => (p.inScope ? 1 : 0)));
        const loss = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const logits = pairLogits(
                edits,
                queries,
                projection,
                importance,
                importanceBias,
                scale,
                offset,
              );
              return tf.losses.sigmoidCrossEntropy(labels, logits) as tf.Scalar;
            }),
          true,
          variables,
        );
        sum += (loss?.dataSync()[0] as number) ?? 0;
        tf.dispose([
          ...(loss === null ? [] : [loss]),
          edits.values,
          edits.mask,
          queries.values,
          queries.mask,
          labels,
        ]);
        options.onStep?.((epoch * batches + b + 1) / (options.epochs * batches), sum / (b + 1));
      }
      epochLoss = sum / batches;
    }
    return {
      weights: {
        width,
        dim: options.dim,
        projection: projection.dataSync() as Float32Array,
        importance: importance.dataSync() as Float32Array,
        importanceBias: importanceBias.dataSync()[0] as number,
        scale: scale.dataSync()[0] as number,
        offset: offset.dataSync()[0] as number,
      },
      finalLoss: epochLoss,
    };
  } finally {
    optimizer.dispose();
    tf.dispose(variables);
  }
}

/** The classifier's logits for padded edit/query batches (the differentiable form of `scopeProbability`). */
function pairLogits(
  edits: { values: Tensor; mask: Tensor2D },
  queries: { values: Tensor; mask: Tensor2D },
  projection: Variable,
  importance: Variable,
  importanceBias: Variable,
  scale: Variable,
  offset: Variable,
): Tensor {
  const unit = (x: Tensor) => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)));
  const project = (values: Tensor) => {
    const [b, n, w] = values.shape as [number, number, number];
    return unit(tf.reshape(tf.matMul(tf.reshape(values, [b * n, w]), projection), [b, n, -1]));
  };
  const [batch, editTokens, width] = edits.values.shape as [number, number, number];
  const c = project(edits.values);
  const x = project(queries.values);
  // [batch, editTokens, queryTokens]; padded query tokens can never be the maximum.
  const cosines = tf.add(tf.matMul(c, x, false, true), tf.mul(tf.sub(tf.expandDims(queries.mask, 1), 1), 4));
  const best = tf.max(cosines, 2);
  const weightLogits = tf.add(
    tf.reshape(tf.matMul(tf.reshape(edits.values, [batch * editTokens, width]), importance), [
      batch,
      editTokens,
    ]),
    importanceBias,
  );
  const weights = tf.mul(tf.softplus(weightLogits), edits.mask);
  const similarity = tf.div(tf.sum(tf.mul(weights, best), 1), tf.add(tf.sum(weights, 1), 1e-12));
  return tf.add(tf.mul(scale, similarity), offset);
}
