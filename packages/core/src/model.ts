import type { Tensor, Variable } from './tf.js';

/** An exact copy of some weights, taken before an edit so that revert is bit-for-bit. */
export interface WeightSnapshot {
  readonly names: readonly string[];
  /** Restore every weight in the snapshot to its saved value. Safe to call more than once. */
  restore(): void;
  /** Free the saved copies. */
  dispose(): void;
}

/**
 * The part of a model that core's edit orchestration needs: named weights (Hugging Face names) and exact
 * snapshots. `@llmedit/models` implements it; methods may need more (forward passes, hooks) and import
 * the concrete model type from there.
 */
export interface EditableModel {
  /** Stable content hash of the weights as loaded (used as a cache key). */
  readonly modelId: string;
  weightNames(): readonly string[];
  /** The live weight; throws `UnknownLocationError` for an unknown name. */
  weight(name: string): Variable;
  /** Replace a weight's value (shape must match). The previous value is released; `value` stays owned by the caller. */
  setWeight(name: string, value: Tensor): void;
  snapshotWeights(names?: readonly string[]): WeightSnapshot;
}
