import {
  type EditOutcome,
  LlmeditError,
  ShapeMismatchError,
  type Tensor,
  type Tensor2D,
  tf,
} from '@llmedit/core';
import type { CausalLM, WeightLocation } from '@llmedit/models';

/**
 * The weight changes of one edit: adds deltas to a model's weights, remembers each touched weight's
 * original (exactly, for a bit-for-bit restore) and builds the `EditOutcome`.
 */
export class WeightEdits {
  private readonly originals = new Map<string, Tensor>();
  private finished = false;

  constructor(private readonly model: CausalLM) {}

  /** Names of the weights changed so far, in order of first change. */
  get names(): string[] {
    return [...this.originals.keys()];
  }

  /** W <- W + delta (delta in the weight's stored shape; not disposed). */
  add(name: string, delta: Tensor): void {
    const weight = this.model.weight(name);
    if (!tf.util.arraysEqual(weight.shape, delta.shape)) {
      throw new ShapeMismatchError(`delta for ${name}`, weight.shape, delta.shape);
    }
    if (!this.originals.has(name)) this.originals.set(name, tf.clone(weight));
    const updated = tf.add(weight, delta);
    this.model.setWeight(name, updated);
    updated.dispose();
  }

  /**
   * Add an update given as a math-convention [in, out] matrix (keys in, values out) to an MLP output
   * projection, transposing for weights stored [out, in] (LLaMA's Linear; GPT-2's Conv1D is [in, out]).
   */
  addInOut(location: WeightLocation, deltaInOut: Tensor2D): void {
    if (location.orientation === 'in-out') {
      this.add(location.name, deltaInOut);
      return;
    }
    const transposed = tf.transpose(deltaInOut);
    try {
      this.add(location.name, transposed);
    } finally {
      transposed.dispose();
    }
  }

  /** Put every touched weight back exactly (used when an edit fails half-way) and free the originals. */
  restoreAndDispose(): void {
    for (const [name, original] of this.originals) this.model.setWeight(name, original);
    for (const original of this.originals.values()) original.dispose();
    this.originals.clear();
    this.finished = true;
  }

  /** The outcome: deltas W - W0 per touched weight, `restore()` bit-for-bit, `dispose()` frees them. */
  outcome(info: Record<string, unknown>): EditOutcome<CausalLM> {
    if (this.finished) throw new LlmeditError('EDIT_DISPOSED', 'WeightEdits.outcome() after it finished');
    this.finished = true;
    const model = this.model;
    const originals = new Map(this.originals);
    const deltas = new Map<string, Tensor>();
    for (const [name, original] of originals) deltas.set(name, tf.sub(model.weight(name), original));
    let disposed = false;
    return {
      model,
      deltas,
      info,
      weightsOnly: true,
      restore() {
        if (disposed) throw new LlmeditError('EDIT_DISPOSED', 'restore() after dispose()');
        for (const [name, original] of originals) model.setWeight(name, original);
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        for (const t of [...originals.values(), ...deltas.values()]) t.dispose();
        deltas.clear();
      },
    };
  }
}
