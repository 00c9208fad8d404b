// Target value optimisation: ROME's v* (Meng et al. 2022, section 3.1, eq. 4): v* = v0 + argmin_delta
//   1/N sum_j -log P[o* | x_j + p]  +  D_KL(P[x | p', delta] || P[x | p'])  (on "{subject} is a")
// with the weight decay ||delta|| / ||v0||^2 and the clamp ||delta|| <= c ||v0|| of the reference
// implementation; MEMIT's z_i (Meng et al. 2023, eq. 9-11) is the same objective with delta added to the
// residual stream at the last edited layer. Since delta enters at one layer, the frozen prefix of the
// network is run once and each step runs only the blocks above (perf.md section 5: 3.2-3.6x).
import { type Scalar, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D, tf } from '@llmedit/core';
import { type CausalLM, KvCache, padBatch } from '@llmedit/models';
import type { LocatedPrompt, TargetPrompt } from './prompts.js';

/** The prompts of one request's target optimisation. `rewrite[0]` is the bare prompt: v0 is read there. */
export interface ValueRequest {
  readonly rewrite: readonly TargetPrompt[];
  /** Prompts whose next-token distribution at the fact position must not drift ("{subject} is a"). */
  readonly kl: readonly LocatedPrompt[];
}

export interface ValueOptimizationOptions {
  /** The block whose output (or MLP output) receives delta. */
  readonly layer: number;
  /** 'mlpOut': delta is added to the block's MLP output (ROME); 'residual': to its output (MEMIT). */
  readonly at: 'mlpOut' | 'residual';
  /** Gradient evaluations (EasyEdit `v_num_grad_steps`; the last one only measures, so steps - 1 updates). */
  readonly steps: number;
  /** Adam learning rate (`v_lr`). */
  readonly lr: number;
  /** Weight of ||delta|| / ||v0||^2 (`v_weight_decay`). */
  readonly weightDecay: number;
  /** ||delta|| is projected onto c * ||v0|| after each step (`clamp_norm_factor`). */
  readonly clampNormFactor: number;
  /** Weight of the KL term (`kl_factor`). */
  readonly klFactor: number;
  /** A request stops when its loss falls below this (ROME: 5e-2). */
  readonly lossThreshold?: number;
  /** Padded tokens per batched optimisation group. Default 4096. */
  readonly maxBatchTokens?: number;
  readonly signal?: AbortSignal;
  /** Called after each step of each group. */
  readonly onStep?: (step: number, activeRequests: number) => void;
}

/** The result for one request. */
export interface ValueResult {
  /** The activation that delta is added to, at the bare prompt's fact position, before optimisation. */
  readonly initial: Float32Array;
  readonly delta: Float32Array;
  /** initial + delta: v* (ROME) or z (MEMIT). */
  readonly target: Float32Array;
  /** Optimiser updates applied. */
  readonly updates: number;
  /** Loss terms at the first and at the last evaluation. */
  readonly initialLoss: LossTerms;
  readonly finalLoss: LossTerms;
}

export interface LossTerms {
  readonly nll: number;
  readonly kl: number;
  readonly weightDecay: number;
  readonly total: number;
  /** exp(-nll): the geometric-mean target probability over the rewriting prompts. */
  readonly targetProbability: number;
}

interface Row {
  readonly request: number;
  readonly ids: number[];
  readonly position: number;
}

/** Split request indices into groups whose padded rows fit the token budget. */
function groupRequests(requests: readonly ValueRequest[], maxTokens: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let rows = 0;
  let longest = 0;
  requests.forEach((request, index) => {
    const lengths = [
      ...request.rewrite.map((p) => p.promptIds.length + p.targetIds.length - 1),
      ...request.kl.map((p) => p.ids.length),
    ];
    const nextRows = rows + lengths.length;
    const nextLongest = Math.max(longest, ...lengths);
    if (current.length > 0 && nextRows * nextLongest > maxTokens) {
      groups.push(current);
      current = [];
      rows = 0;
      longest = 0;
    }
    current.push(index);
    rows += lengths.length;
    longest = Math.max(longest, ...lengths);
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

const EPSILON_NORM = 1e-20;

/**
 * Optimise one delta per request (batched: requests of a group share each forward, and since each delta
 * only reaches its own rows, the summed loss gives every delta its own gradient). Adam as torch.optim.Adam
 * (beta 0.9/0.999, eps 1e-8), per request; a request stops at its first loss below the threshold.
 * Deterministic; leaves no tensors behind.
 */
export function optimizeValues(
  model: CausalLM,
  requests: readonly ValueRequest[],
  options: ValueOptimizationOptions,
): ValueResult[] {
  const results: ValueResult[] = new Array(requests.length);
  for (const group of groupRequests(requests, options.maxBatchTokens ?? 4096)) {
    const groupResults = optimizeGroup(
      model,
      group.map((i) => requests[i] as ValueRequest),
      options,
    );
    group.forEach((requestIndex, g) => {
      results[requestIndex] = groupResults[g] as ValueResult;
    });
  }
  return results;
}

function optimizeGroup(
  model: CausalLM,
  requests: readonly ValueRequest[],
  options: ValueOptimizationOptions,
): ValueResult[] {
  const { layer, at } = options;
  const width = model.config.hiddenSize;
  const vocab = model.config.vocabSize;
  const groupSize = requests.length;
  const threshold = options.lossThreshold ?? 5e-2;

  // Rows: every rewriting prompt (prompt + target[:-1]) then every KL prompt.
  const rows: Row[] = [];
  const firstRow: number[] = [];
  requests.forEach((request, g) => {
    firstRow.push(rows.length);
    for (const p of request.rewrite) {
      rows.push({ request: g, ids: [...p.promptIds, ...p.targetIds.slice(0, -1)], position: p.position });
    }
  });
  const klRowStart = rows.length;
  requests.forEach((request, g) => {
    for (const p of request.kl) rows.push({ request: g, ids: [...p.ids], position: p.position });
  });
  // Tokens before a row's fact position do not depend on delta at any layer (causal attention): run them
  // once into a KV cache, and let every step recompute only the continuation from the fact token on.
  const prefixLength = Math.max(...rows.map((row) => row.position));
  const cache = prefixLength > 0 ? new KvCache() : undefined;
  // Everything this group allocates is released in the finally below, on failure paths too: the prefix
  // cache is filled by the first forward, so it must already be inside the try.
  const owned: Tensor[] = [];
  let klInitial: Tensor2D | undefined;
  try {
    if (cache !== undefined) {
      const prefixes = padBatch(
        rows.map((row) => row.ids.slice(0, row.position)),
        model.padTokenId,
        'left',
      );
      model.forward(prefixes, { cache, logits: 'none' });
    }
    const batch = padBatch(
      rows.map((row) => row.ids.slice(row.position)),
      model.padTokenId,
      'right',
    );
    const length = batch.ids[0]?.length ?? 0;
    const cached = cache === undefined ? {} : { cache, readOnlyCache: true };

    // Scored positions (in continuation coordinates): target token k of a rewriting prompt is predicted at
    // promptLength - 1 + k. Weighted so that a request's NLL is the mean over its prompts of the per-token
    // mean (ROME's nll). The fact token itself is position 0 of every continuation.
    const positions: [number, number][] = [];
    const labelIndex: number[] = [];
    const nllMatrix: number[] = [];
    let rowIndex = 0;
    requests.forEach((request, g) => {
      for (const p of request.rewrite) {
        const weight = 1 / (p.targetIds.length * request.rewrite.length);
        p.targetIds.forEach((id, k) => {
          labelIndex.push(positions.length * vocab + id);
          positions.push([rowIndex, p.promptIds.length - 1 + k - p.position]);
          const column = new Array<number>(groupSize).fill(0);
          column[g] = weight;
          nllMatrix.push(...column);
        });
        rowIndex++;
      }
    });
    const scored = positions.length;
    const klMatrix: number[] = [];
    for (let r = klRowStart; r < rows.length; r++) {
      const row = rows[r] as Row;
      positions.push([r, 0]);
      const column = new Array<number>(groupSize).fill(0);
      column[row.request] = 1 / (requests[row.request] as ValueRequest).kl.length;
      klMatrix.push(...column);
    }
    const klCount = rows.length - klRowStart;

    // The frozen part, once: the residual stream after `layer`, and the activation delta is added to.
    const selection = new Float32Array(rows.length * length * groupSize);
    rows.forEach((row, r) => {
      selection[r * length * groupSize + row.request] = 1;
    });
    const [base, initialRows] = tf.tidy(() => {
      const points = [model.layout.residual(layer), ...(at === 'mlpOut' ? [model.layout.mlpOut(layer)] : [])];
      const { captured } = model.forward(batch, {
        ...cached,
        stopAfterLayer: layer,
        hooks: points.map((point) => ({ point, capture: true })),
      });
      const source = captured[at === 'mlpOut' ? `mlpOut.${layer}` : `residual.${layer}`] as Tensor3D;
      const index = tf.tensor1d(
        Int32Array.from(firstRow, (r) => r * length),
        'int32',
      );
      return [captured[`residual.${layer}`] as Tensor3D, tf.gather(tf.reshape(source, [-1, width]), index)];
    });
    owned.push(base, initialRows);
    const initial = initialRows.dataSync() as Float32Array;
    const initialNorms = Array.from({ length: groupSize }, (_, g) => {
      let sum = 0;
      for (let j = 0; j < width; j++) sum += (initial[g * width + j] as number) ** 2;
      return Math.sqrt(sum);
    });

    const constants = tf.tidy(() => ({
      selection: tf.tensor2d(selection, [rows.length * length, groupSize]),
      labels: tf.tensor1d(Int32Array.from(labelIndex), 'int32'),
      nllMatrix: tf.tensor2d(nllMatrix, [scored, groupSize]),
      klMatrix: klCount > 0 ? tf.tensor2d(klMatrix, [klCount, groupSize]) : undefined,
      decay: tf.tensor1d(initialNorms.map((n) => options.weightDecay / Math.max(n * n, 1e-12))),
    }));
    for (const tensor of Object.values(constants)) if (tensor !== undefined) owned.push(tensor);

    const delta = new Float32Array(groupSize * width);
    const firstMoment = new Float64Array(groupSize * width);
    const secondMoment = new Float64Array(groupSize * width);
    const updates = new Array<number>(groupSize).fill(0);
    const done = new Array<boolean>(groupSize).fill(false);
    const initialLoss: LossTerms[] = [];
    const finalLoss: LossTerms[] = new Array(groupSize);
    const beta1 = 0.9;
    const beta2 = 0.999;

    // Per-request loss terms [3, G] (nll, kl, decay) for delta [G, width].
    const lossTerms = (d: Tensor2D, step: number): Tensor2D => {
      const added = tf.reshape(tf.matMul(constants.selection, d), [rows.length, length, width]);
      const hidden = tf.add(base, added) as Tensor3D;
      const { logits } = model.forward(batch, {
        ...cached,
        startAtLayer: { layer: layer + 1, hidden },
        logits: { positions },
      });
      const logProbs = tf.logSoftmax(logits as Tensor2D);
      const picked = tf.gather(
        tf.reshape(tf.slice(logProbs, [0, 0], [scored, vocab]), [-1]),
        constants.labels,
      );
      const nll = tf.neg(tf.matMul(tf.reshape(picked, [1, scored]), constants.nllMatrix));
      let kl: Tensor2D = tf.zeros([1, groupSize]);
      if (constants.klMatrix !== undefined) {
        const klLogProbs = tf.slice(logProbs, [scored, 0], [klCount, vocab]);
        if (step === 0) {
          // Recorded with delta = 0, where the KL term and its gradient are zero.
          klInitial = tf.keep(tf.clone(klLogProbs));
        } else if (klInitial !== undefined) {
          const perRow = tf.sum(tf.mul(tf.exp(klLogProbs), tf.sub(klLogProbs, klInitial)), 1);
          kl = tf.mul(tf.matMul(tf.reshape(perRow, [1, klCount]), constants.klMatrix), options.klFactor);
        }
      }
      const norms = tf.sqrt(tf.add(tf.sum(tf.square(d), 1), EPSILON_NORM)) as Tensor1D;
      const decay = tf.reshape(tf.mul(norms, constants.decay), [1, groupSize]);
      return tf.concat([nll, kl, decay], 0) as Tensor2D;
    };

    const readTerms = (terms: Float32Array, g: number): LossTerms => {
      const nll = terms[g] as number;
      const kl = terms[groupSize + g] as number;
      const weightDecay = terms[2 * groupSize + g] as number;
      return { nll, kl, weightDecay, total: nll + kl + weightDecay, targetProbability: Math.exp(-nll) };
    };
    for (let step = 0; step < options.steps && done.some((d) => !d); step++) {
      options.signal?.throwIfAborted();
      const last = step === options.steps - 1;
      let terms: Float32Array;
      let gradient: Float32Array | undefined;
      const deltaTensor = tf.tensor2d(delta, [groupSize, width]);
      try {
        if (last) {
          const value = tf.tidy(() => lossTerms(deltaTensor, step));
          terms = value.dataSync() as Float32Array;
          value.dispose();
        } else {
          let kept: Tensor | undefined;
          const { value, grad } = tf.valueAndGrad((d: Tensor2D) => {
            const t = lossTerms(d, step);
            kept = tf.keep(t);
            return tf.sum(t) as Scalar;
          })(deltaTensor);
          terms = (kept as Tensor).dataSync() as Float32Array;
          gradient = grad.dataSync() as Float32Array;
          tf.dispose([value, grad, kept as Tensor]);
        }
      } finally {
        deltaTensor.dispose();
      }
      for (let g = 0; g < groupSize; g++) {
        if (done[g]) continue;
        const current = readTerms(terms, g);
        if (step === 0) initialLoss[g] = current;
        finalLoss[g] = current;
        if (current.total < threshold || last || gradient === undefined) {
          done[g] = true;
          continue;
        }
        // Adam, then the projection onto the ball ||delta|| <= c ||v0||.
        const t = ++updates[g]!;
        const correction1 = 1 - beta1 ** t;
        const correction2 = 1 - beta2 ** t;
        let normSquared = 0;
        for (let j = g * width; j < (g + 1) * width; j++) {
          const grad = gradient[j] as number;
          firstMoment[j] = beta1 * (firstMoment[j] as number) + (1 - beta1) * grad;
          secondMoment[j] = beta2 * (secondMoment[j] as number) + (1 - beta2) * grad * grad;
          const stepSize =
            (firstMoment[j] as number) /
            correction1 /
            (Math.sqrt((secondMoment[j] as number) / correction2) + 1e-8);
          delta[j] = (delta[j] as number) - options.lr * stepSize;
          normSquared += (delta[j] as number) ** 2;
        }
        const maxNorm = options.clampNormFactor * (initialNorms[g] as number);
        const norm = Math.sqrt(normSquared);
        if (norm > maxNorm) {
          for (let j = g * width; j < (g + 1) * width; j++)
            delta[j] = ((delta[j] as number) * maxNorm) / norm;
        }
      }
      options.onStep?.(step, done.filter((d) => !d).length);
    }

    return requests.map((_, g) => {
      const init = initial.slice(g * width, (g + 1) * width);
      const d = delta.slice(g * width, (g + 1) * width);
      return {
        initial: init,
        delta: d,
        target: init.map((value, j) => value + (d[j] as number)),
        updates: updates[g] as number,
        initialLoss: initialLoss[g] as LossTerms,
        finalLoss: finalLoss[g] as LossTerms,
      };
    });
  } finally {
    cache?.dispose();
    klInitial?.dispose();
    tf.dispose(owned);
  }
}
