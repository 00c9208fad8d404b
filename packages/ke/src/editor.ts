// KnowledgeEditor (De Cao et al. 2021, arXiv:2104.08164) sec. 3, eq. 4-5: h = LSTM(x, a);
// Δ W = σ(η)·(α̂ ⊙ ∇_W L(W; x, a) + β̂), α̂ = softmax(α)·γᵀ, β̂ = softmax(β)·δᵀ, with α, β, γ, δ, η = FFNN(h).
import { createRng, type Rng, type Tensor, type Tensor2D, tf, type Variable } from '@llmedit/core';
import type { HostTensors } from '@llmedit/meta-train';
import type { CausalLM, WeightLocation } from '@llmedit/models';

/** A weight the hypernetwork writes: the MLP output projection of one block. */
export interface EditedWeight {
  readonly layer: number;
  readonly location: WeightLocation;
  /** The weight's stored shape [rows, columns]: α, β are over rows, γ, δ over columns. */
  readonly rows: number;
  readonly columns: number;
}

/** The parts of `KeHparams` that fix the hypernetwork's shape. */
export interface KeEditorShape {
  readonly layers: readonly number[];
  readonly hiddenSize: number;
  readonly conditionSize: number;
  readonly maxScale: number;
}

/** The edited weights of `layers` in `model`. */
export function editedWeights(model: CausalLM, layers: readonly number[]): EditedWeight[] {
  return layers.map((layer) => {
    const location = model.layout.mlpOutProjection(layer);
    const [rows, columns] = model.weight(location.name).shape as [number, number];
    return { layer, location, rows, columns };
  });
}

/** PyTorch's default Linear/LSTM initialisation: U(−bound, bound). */
function uniform(rng: Rng, size: number, bound: number): Float32Array {
  return Float32Array.from({ length: size }, () => (2 * rng.next() - 1) * bound);
}

/** x·W with weight normalisation W = v·g/‖v‖ (the norm over each output unit's inputs), plus the bias. */
function weightNormLinear(x: Tensor2D, v: Tensor, g: Tensor, bias: Tensor): Tensor2D {
  return tf.add(tf.matMul(x, tf.mul(v, tf.div(g, tf.norm(v, 'euclidean', 0)))), bias) as Tensor2D;
}

/**
 * The KnowledgeEditor hypernetwork: a bidirectional LSTM over the condition text (embeddings initialised from
 * the model's), a tanh projection to the condition vector h, and per edited weight a conditioned parameter
 * (two weight-normalised layers) that turns h into α, β, γ, δ, η. Owns its variables.
 */
export class KeEditor {
  readonly weights: readonly EditedWeight[];
  private readonly variables: Map<string, Variable>;

  private constructor(
    readonly shape: KeEditorShape,
    weights: EditedWeight[],
    tensors: HostTensors,
  ) {
    this.weights = weights;
    this.variables = new Map(
      [...tensors].map(([name, t]) => {
        const initial = tf.tensor(t.data, t.shape);
        const variable = tf.variable(initial, true, `ke/${name}/${uid++}`);
        initial.dispose();
        return [name, variable];
      }),
    );
  }

  /** A fresh hypernetwork, initialised as PyTorch initialises the reference's modules (seeded). */
  static create(model: CausalLM, shape: KeEditorShape, seed: number): KeEditor {
    const weights = editedWeights(model, shape.layers);
    const rng = createRng(seed);
    const tensors: HostTensors = new Map();
    const { hiddenSize: hidden, conditionSize: condition } = shape;
    const embedding = model.weight(model.layout.lmHead().name);
    const width = model.config.hiddenSize;
    const table = model.layout.lmHead().orientation === 'out-in' ? embedding : tf.transpose(embedding);
    tensors.set('encoder.embedding', {
      shape: [model.config.vocabSize, width],
      data: Float32Array.from(table.dataSync() as Float32Array),
    });
    if (table !== embedding) table.dispose();
    const lstmBound = 1 / Math.sqrt(hidden);
    for (const direction of ['forward', 'backward']) {
      tensors.set(`encoder.${direction}.kernel`, {
        shape: [width + hidden, 4 * hidden],
        data: uniform(rng, (width + hidden) * 4 * hidden, lstmBound),
      });
      tensors.set(`encoder.${direction}.bias`, {
        shape: [4 * hidden],
        data: uniform(rng, 4 * hidden, lstmBound),
      });
    }
    const linear = (name: string, inSize: number, outSize: number, normalised: boolean) => {
      const bound = 1 / Math.sqrt(inSize);
      const v = uniform(rng, inSize * outSize, bound);
      tensors.set(`${name}.v`, { shape: [inSize, outSize], data: v });
      tensors.set(`${name}.bias`, { shape: [outSize], data: uniform(rng, outSize, bound) });
      if (!normalised) return;
      // g = ‖v‖ per output unit: weight normalisation starts from the plain initialisation.
      const g = new Float32Array(outSize);
      for (let i = 0; i < inSize; i++) for (let o = 0; o < outSize; o++) g[o]! += v[i * outSize + o]! ** 2;
      tensors.set(`${name}.g`, { shape: [outSize], data: g.map(Math.sqrt) });
    };
    linear('encoder.out', 2 * hidden, condition, false);
    for (const w of weights) {
      linear(`${w.location.name}.hidden`, condition, hidden, true);
      linear(`${w.location.name}.out`, hidden, 2 * (w.rows + w.columns) + 1, true);
    }
    return new KeEditor(shape, weights, tensors);
  }

  /**
   * A hypernetwork from its saved tensors (`toHost()`); returns the name of the first missing or misshapen
   * tensor instead when they do not fit `model` and `shape`.
   */
  static fromHost(model: CausalLM, shape: KeEditorShape, tensors: HostTensors): KeEditor | string {
    const fresh = KeEditor.create(model, shape, 0);
    try {
      for (const [name, v] of fresh.variables) {
        const saved = tensors.get(name);
        if (saved === undefined || saved.shape.join() !== v.shape.join()) {
          return `'${name}' of shape [${v.shape.join(', ')}] (found ${saved === undefined ? 'none' : `[${saved.shape.join(', ')}]`})`;
        }
      }
      const trained = new Map([...fresh.variables.keys()].map((name) => [name, tensors.get(name)!]));
      return new KeEditor(shape, [...fresh.weights], trained);
    } finally {
      fresh.dispose();
    }
  }

  /** Every tensor, for saving. */
  toHost(): HostTensors {
    const out: HostTensors = new Map();
    for (const [name, v] of this.variables) {
      out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    return out;
  }

  /** The trained variables by name. */
  trainables(): Map<string, Variable> {
    return this.variables;
  }

  private v(name: string): Variable {
    return this.variables.get(name)!;
  }

  /** One direction of the LSTM over [tokens, width] embeddings: its last hidden state, [1, hidden]. */
  private lstm(direction: 'forward' | 'backward', inputs: Tensor2D): Tensor2D {
    const hidden = this.shape.hiddenSize;
    const kernel = this.v(`encoder.${direction}.kernel`);
    const bias = this.v(`encoder.${direction}.bias`);
    const steps = tf.unstack(inputs);
    if (direction === 'backward') steps.reverse();
    let h = tf.zeros([1, hidden]) as Tensor2D;
    let c = tf.zeros([1, hidden]) as Tensor2D;
    for (const x of steps) {
      const gates = tf.add(tf.matMul(tf.concat([tf.reshape(x, [1, -1]), h], 1), kernel), bias);
      // PyTorch's gate order: input, forget, cell, output.
      const [i, f, g, o] = tf.split(gates, 4, 1) as Tensor2D[];
      c = tf.add(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!))) as Tensor2D;
      h = tf.mul(tf.sigmoid(o!), tf.tanh(c)) as Tensor2D;
    }
    return h;
  }

  /** h for each condition (token ids of "ground truth >> new target || prompt"), [conditions, conditionSize]. */
  condition(conditions: readonly (readonly number[])[]): Tensor2D {
    return tf.tidy(() => {
      const rows = conditions.map((ids) => {
        const inputs = tf.gather(this.v('encoder.embedding'), tf.tensor1d(Int32Array.from(ids), 'int32'));
        const both = tf.concat(
          [this.lstm('forward', inputs as Tensor2D), this.lstm('backward', inputs as Tensor2D)],
          1,
        );
        return tf.tanh(tf.add(tf.matMul(both, this.v('encoder.out.v')), this.v('encoder.out.bias')));
      });
      return tf.concat(rows, 0) as Tensor2D;
    });
  }

  /**
   * The weight changes for the edits whose conditions are given, from the gradient of their loss at each edited
   * weight (by weight name, in storage orientation); differentiable w.r.t. the hypernetwork. Several
   * conditions (a batch edit) sum their α̂ and β̂ and average σ(η), as the reference's batched conditioner.
   * The caller owns the tensors.
   */
  deltas(
    conditions: readonly (readonly number[])[],
    gradients: ReadonlyMap<string, Tensor>,
  ): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const h = this.condition(conditions);
    try {
      for (const w of this.weights) {
        const gradient = gradients.get(w.location.name);
        if (gradient === undefined) throw new Error(`KE: no gradient for ${w.location.name}`);
        const delta = tf.tidy(() => {
          const name = w.location.name;
          const hidden = tf.tanh(
            weightNormLinear(
              h,
              this.v(`${name}.hidden.v`),
              this.v(`${name}.hidden.g`),
              this.v(`${name}.hidden.bias`),
            ),
          );
          const params = weightNormLinear(
            hidden,
            this.v(`${name}.out.v`),
            this.v(`${name}.out.g`),
            this.v(`${name}.out.bias`),
          );
          const [gammaA, alpha, gammaB, beta, eta] = tf.split(
            params,
            [w.columns, w.rows, w.columns, w.rows, 1],
            1,
          ) as Tensor2D[];
          const scaleA = tf.matMul(tf.softmax(alpha!), gammaA!, true, false);
          const shiftB = tf.matMul(tf.softmax(beta!), gammaB!, true, false);
          const scale = tf.mul(tf.mean(tf.sigmoid(eta!)), this.shape.maxScale);
          return tf.mul(scale, tf.add(tf.mul(gradient, scaleA), shiftB));
        });
        out.set(w.location.name, delta);
      }
    } catch (error) {
      tf.dispose([...out.values()]);
      throw error;
    } finally {
      h.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

let uid = 0;
