import type { EditOutcome, Tensor } from '@llmedit/core';
import { tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';

/** Frobenius norm of each tensor, by name. */
export function frobeniusNorms(tensors: ReadonlyMap<string, Tensor>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, t] of tensors) {
    const norm = tf.tidy(() => tf.norm(t));
    out[name] = norm.dataSync()[0]!;
    norm.dispose();
  }
  return out;
}

/**
 * Write W + Δ for each weight delta into the model (a snapshot first) and return the edit's outcome, which
 * owns the deltas and the snapshot: `restore()` puts the weights back bit for bit. If a write fails, the
 * weights are restored, the deltas freed and the error rethrown. `info` gets each update's norm.
 */
export function applyWeightDeltas(
  model: CausalLM,
  deltas: Map<string, Tensor>,
  info: Readonly<Record<string, unknown>>,
): EditOutcome<CausalLM> {
  const snapshot = model.snapshotWeights([...deltas.keys()]);
  try {
    for (const [name, delta] of deltas) {
      const next = tf.add(model.weight(name), delta);
      model.setWeight(name, next);
      next.dispose();
    }
  } catch (error) {
    snapshot.restore();
    snapshot.dispose();
    tf.dispose([...deltas.values()]);
    throw error;
  }
  let disposed = false;
  return {
    model,
    deltas,
    restore() {
      if (!disposed) snapshot.restore();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      snapshot.dispose();
      tf.dispose([...deltas.values()]);
    },
    info: { ...info, updateNorms: frobeniusNorms(deltas) },
    weightsOnly: true,
  };
}
