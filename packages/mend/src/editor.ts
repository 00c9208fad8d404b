// MEND (Mitchell et al. 2022, arXiv:2110.11309) sec. 3.1-3.2: normalised z = [ũ; δ̃] through
// h = z + σ(s¹_ℓ ⊙ (U₁V₁z + b₁) + o¹_ℓ), g(z) = h + σ(s²_ℓ ⊙ (U₂V₂h + b₂) + o²_ℓ); ∇̃W_ℓ = Σ_i ũ'_i δ̃'_iᵀ; W̃ = W − α_ℓ ∇̃W_ℓ.
import { createRng, randomNormalArray, type Tensor, type Tensor2D, tf, type Variable } from '@llmedit/core';
import type { HostTensors, LayerFactors } from '@llmedit/meta-train';
import type { CausalLM, WeightLocation } from '@llmedit/models';

/** A weight the editor writes: the MLP output projection of one block. */
export interface EditedWeight {
  readonly layer: number;
  readonly location: WeightLocation;
  /** Width of u (the projection's input) and of δ (its output). */
  readonly inSize: number;
  readonly outSize: number;
  /** The editor network that transforms this weight's factors (one per weight shape, e.g. `128x32`). */
  readonly shape: string;
  /** Its row in that network's per-layer scale and shift ("mode"). */
  readonly mode: number;
  /** Its index in `stepSizes`. */
  readonly index: number;
}

/**
 * Running mean and variance of each coordinate of z = [u; δ] (Chan et al.'s pairwise update), computed
 * during meta-training and frozen afterwards, so that factors whose scales differ by orders of magnitude
 * reach the network on one scale.
 */
export class RunningNorm {
  count = 0;
  readonly mean: Float64Array;
  readonly squares: Float64Array;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.squares = new Float64Array(size);
  }

  /** Adds rows of a [rows, size] row-major array. */
  update(rows: Float32Array): void {
    const n = rows.length / this.size;
    if (n === 0) return;
    const batchMean = new Float64Array(this.size);
    const batchSquares = new Float64Array(this.size);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < this.size; j++) batchMean[j]! += rows[r * this.size + j]! / n;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < this.size; j++) {
        const d = rows[r * this.size + j]! - batchMean[j]!;
        batchSquares[j]! += d * d;
      }
    }
    const total = this.count + n;
    for (let j = 0; j < this.size; j++) {
      const d = batchMean[j]! - this.mean[j]!;
      this.mean[j]! += (d * n) / total;
      this.squares[j]! += batchSquares[j]! + (d * d * this.count * n) / total;
    }
    this.count = total;
  }

  /** Standard deviation per coordinate (1 before two rows were seen; a floor keeps constant coordinates finite). */
  std(): Float32Array {
    const out = new Float32Array(this.size);
    for (let j = 0; j < this.size; j++) {
      out[j] = this.count < 2 ? 1 : Math.sqrt(this.squares[j]! / (this.count - 1) + 1e-20) + 1e-12;
    }
    return out;
  }
}

/** The parts of `MendHparams` that fix the editor's shape. */
export interface EditorShape {
  readonly layers: readonly number[];
  readonly rank: number;
  readonly blocks: number;
  readonly initialStepSize: number;
}

/** The edited weights of `layers` in `model`, grouped by shape. */
export function editedWeights(model: CausalLM, layers: readonly number[]): EditedWeight[] {
  const modes = new Map<string, number>();
  return layers.map((layer, index) => {
    const location = model.layout.mlpOutProjection(layer);
    const inSize = model.layout.mlpKeySize;
    const outSize = model.layout.hiddenSize;
    const shape = `${inSize}x${outSize}`;
    const mode = modes.get(shape) ?? 0;
    modes.set(shape, mode + 1);
    return { layer, location, inSize, outSize, shape, mode, index };
  });
}

const STEP_SIZES = 'step_sizes';

/**
 * MEND's editor: one network per edited-weight shape, shared by the layers of that shape (each layer has its
 * own scale and shift), plus a learned step size per layer. Owns its variables: `dispose()` frees them.
 */
export class MendEditor {
  readonly weights: readonly EditedWeight[];
  readonly norms: Map<string, RunningNorm>;
  private readonly variables: Map<string, Variable>;

  private constructor(
    readonly shape: EditorShape,
    weights: EditedWeight[],
    tensors: HostTensors,
    norms: Map<string, RunningNorm>,
  ) {
    this.weights = weights;
    this.norms = norms;
    this.variables = new Map(
      [...tensors].map(([name, t]) => {
        const initial = tf.tensor(t.data, t.shape);
        const variable = tf.variable(initial, true, `mend/${name}/${uid++}`);
        initial.dispose();
        return [name, variable];
      }),
    );
  }

  /** A fresh editor: U (the up-projection) at zero, so that before training g is the identity. */
  static create(model: CausalLM, shape: EditorShape, seed: number): MendEditor {
    const weights = editedWeights(model, shape.layers);
    const rng = createRng(seed);
    const tensors: HostTensors = new Map();
    const norms = new Map<string, RunningNorm>();
    for (const w of weights) {
      if (norms.has(w.shape)) continue;
      const size = w.inSize + w.outSize;
      const modes = weights.filter((v) => v.shape === w.shape).length;
      norms.set(w.shape, new RunningNorm(size));
      // As EasyEdit's LRLinear: the rank is at most the width.
      const rank = Math.min(shape.rank, size);
      for (let k = 0; k < shape.blocks; k++) {
        const prefix = `${w.shape}.block${k}`;
        const std = Math.sqrt(2 / (size + rank));
        tensors.set(`${prefix}.down`, {
          shape: [size, rank],
          data: randomNormalArray(rng, size * rank, std),
        });
        tensors.set(`${prefix}.up`, { shape: [rank, size], data: new Float32Array(rank * size) });
        tensors.set(`${prefix}.bias`, { shape: [size], data: new Float32Array(size) });
        tensors.set(`${prefix}.scale`, {
          shape: [modes, size],
          data: new Float32Array(modes * size).fill(1),
        });
        tensors.set(`${prefix}.shift`, { shape: [modes, size], data: new Float32Array(modes * size) });
      }
    }
    tensors.set(STEP_SIZES, {
      shape: [weights.length],
      data: new Float32Array(weights.length).fill(shape.initialStepSize),
    });
    return new MendEditor(shape, weights, tensors, norms);
  }

  /**
   * An editor from its saved tensors (`toHost()`); returns the name of the first missing or misshapen tensor
   * instead when they do not fit `model` and `shape`.
   */
  static fromHost(model: CausalLM, shape: EditorShape, tensors: HostTensors): MendEditor | string {
    const fresh = MendEditor.create(model, shape, 0);
    try {
      const expected = fresh.toHost();
      for (const [name, t] of expected) {
        const saved = tensors.get(name);
        if (saved === undefined || saved.shape.join() !== t.shape.join()) {
          return `'${name}' of shape [${t.shape.join(', ')}] (found ${saved === undefined ? 'none' : `[${saved.shape.join(', ')}]`})`;
        }
      }
      const norms = new Map<string, RunningNorm>();
      for (const [key, norm] of fresh.norms) {
        const restored = new RunningNorm(norm.size);
        const stats = tensors.get(`${key}.norm`);
        if (stats === undefined || stats.shape.join() !== `3,${norm.size}`)
          return `'${key}.norm' of shape [3, ${norm.size}]`;
        restored.count = stats.data[2 * norm.size]!;
        restored.mean.set(stats.data.subarray(0, norm.size));
        restored.squares.set(stats.data.subarray(norm.size, 2 * norm.size));
        norms.set(key, restored);
      }
      const trained = new Map([...expected.keys()].map((name) => [name, tensors.get(name)!]));
      return new MendEditor(shape, [...fresh.weights], trained, norms);
    } finally {
      fresh.dispose();
    }
  }

  /**
   * Every tensor (network, step sizes, and per shape `<shape>.norm` = [mean; sum of squared deviations;
   * count in the first cell]), for saving.
   */
  toHost(): HostTensors {
    const out: HostTensors = new Map();
    for (const [name, v] of this.variables) {
      out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    for (const [key, norm] of this.norms) {
      const data = new Float32Array(3 * norm.size);
      data.set(norm.mean, 0);
      data.set(norm.squares, norm.size);
      data[2 * norm.size] = norm.count;
      out.set(`${key}.norm`, { shape: [3, norm.size], data });
    }
    return out;
  }

  /** The trained variables by name (network and step sizes; the norms are statistics, not trained). */
  trainables(): Map<string, Variable> {
    return this.variables;
  }

  /** Learned per-layer step sizes α_ℓ, in `weights` order. */
  stepSizes(): number[] {
    return [...(this.variables.get(STEP_SIZES)!.dataSync() as Float32Array)];
  }

  /** Adds the factors of a batch to the running normalisation statistics (meta-training only). */
  updateNorms(factors: readonly LayerFactors[]): void {
    for (const f of factors) {
      const w = this.weightOf(f.layer);
      const z = tf.tidy(() => tf.concat([f.x, f.delta], 1));
      this.norms.get(w.shape)!.update(z.dataSync() as Float32Array);
      z.dispose();
    }
  }

  private weightOf(layer: number): EditedWeight {
    const w = this.weights.find((v) => v.layer === layer);
    if (w === undefined) throw new Error(`MEND editor has no weight for layer ${layer}`);
    return w;
  }

  /** g(z) for one weight's factors: the transformed (ũ', δ̃'), [tokens, in] and [tokens, out]. */
  transform(factors: LayerFactors): { x: Tensor2D; delta: Tensor2D } {
    const w = this.weightOf(factors.layer);
    const norm = this.norms.get(w.shape)!;
    return tf.tidy(() => {
      const mean = tf.tensor1d(Float32Array.from(norm.mean));
      const std = tf.tensor1d(norm.std());
      let h = tf.div(tf.sub(tf.concat([factors.x, factors.delta], 1), mean), std) as Tensor2D;
      for (let k = 0; k < this.shape.blocks; k++) {
        const v = (part: string) => this.variables.get(`${w.shape}.block${k}.${part}`)!;
        const scale = tf.gather(v('scale'), w.mode);
        const shift = tf.gather(v('shift'), w.mode);
        const lowRank = tf.add(tf.matMul(tf.matMul(h, v('down')), v('up')), v('bias'));
        h = tf.add(h, tf.relu(tf.add(tf.mul(lowRank, scale), shift))) as Tensor2D;
      }
      const [x, delta] = tf.split(h, [w.inSize, w.outSize], 1) as [Tensor2D, Tensor2D];
      return { x, delta };
    });
  }

  /**
   * The weight changes −α_ℓ ∇̃W_ℓ for each edited weight, in its storage orientation; differentiable w.r.t.
   * the editor's variables. The caller owns the tensors.
   */
  deltas(factors: readonly LayerFactors[]): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const f of factors) {
      const w = this.weightOf(f.layer);
      const delta = tf.tidy(() => {
        const { x, delta } = this.transform(f);
        const pseudoGradient =
          w.location.orientation === 'in-out'
            ? tf.matMul(x, delta, true, false)
            : tf.matMul(delta, x, true, false);
        const step = tf.gather(this.variables.get(STEP_SIZES)!, w.index);
        return tf.neg(tf.mul(pseudoGradient, step));
      });
      out.set(w.location.name, delta);
    }
    return out;
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

let uid = 0;
