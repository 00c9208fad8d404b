/** The committed checkpoints (folders `checkpoints/<name>` of this package). */
export const CHECKPOINT_NAMES = ['default', 'micro'] as const;
export type CheckpointName = (typeof CHECKPOINT_NAMES)[number];
