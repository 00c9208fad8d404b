// GRACE (Hartvigsen et al. 2023), section 3 / EasyEdit GRACE.py: a codebook of keys (layer inputs), values
// (replacement activations) and deferral radii; a query within a key's radius gets that key's value.
import { type Tensor2D, type Tensor3D, tf } from '@llmedit/core';

/** One codebook entry. Arrays are never mutated in place (snapshots share them). */
export interface CodebookEntry {
  readonly key: Float32Array;
  readonly value: Float32Array;
  readonly epsilon: number;
  /** The edit's target text: entries with the same label may share a region. */
  readonly label: string;
  /** Id of the edit that created the entry. */
  readonly editId: number;
}

/** The codebook of one base model at one layer; every GRACE view of that model reads it. */
export interface Codebook {
  readonly layer: number;
  readonly keyWidth: number;
  readonly valueWidth: number;
  entries: CodebookEntry[];
  /** Ids of the live edits, oldest first: they revert in reverse order. */
  readonly stack: number[];
  nextEditId: number;
}

/** What the update rule did with a query (EasyEdit's iteration-0 branch). */
export type CodebookAction = 'insert' | 'split' | 'expand' | 'reuse';

/** The nearest entry to `query` by L2 distance, or undefined for an empty codebook. */
export function nearest(
  entries: readonly CodebookEntry[],
  query: Float32Array,
): { index: number; distance: number } | undefined {
  let best: { index: number; distance: number } | undefined;
  entries.forEach((entry, index) => {
    let sum = 0;
    for (let i = 0; i < query.length; i++) {
      const diff = (query[i] as number) - (entry.key[i] as number);
      sum += diff * diff;
    }
    const distance = Math.sqrt(sum);
    if (best === undefined || distance < best.distance) best = { index, distance };
  });
  return best;
}

/**
 * EasyEdit's update rule for a new edit query (section 4.14): an empty codebook or a query farther than
 * eps_init + eps_nearest gets a new key; a query within that reach but with another label gets a new key and
 * both radii become d/2 (split); a same-label query outside the nearest radius expands it to d (coverage);
 * otherwise the nearest entry is reused. Returns the entries after the rule and the entry whose value trains.
 */
export function applyUpdateRule(
  entries: readonly CodebookEntry[],
  query: Float32Array,
  label: string,
  epsInit: number,
  newValue: Float32Array,
  editId: number,
): { entries: CodebookEntry[]; trained: number; action: CodebookAction } {
  const out = [...entries];
  const fresh = (epsilon: number): CodebookEntry => ({ key: query, value: newValue, epsilon, label, editId });
  const found = nearest(entries, query);
  if (found === undefined || found.distance > epsInit + (entries[found.index] as CodebookEntry).epsilon) {
    out.push(fresh(epsInit));
    return { entries: out, trained: out.length - 1, action: 'insert' };
  }
  const near = entries[found.index] as CodebookEntry;
  if (near.label !== label) {
    const half = found.distance / 2;
    out[found.index] = { ...near, epsilon: half };
    out.push(fresh(half));
    return { entries: out, trained: out.length - 1, action: 'split' };
  }
  if (found.distance > near.epsilon) {
    out[found.index] = { ...near, epsilon: found.distance };
    return { entries: out, trained: found.index, action: 'expand' };
  }
  return { entries: out, trained: found.index, action: 'reuse' };
}

/**
 * Replace activations [batch, tokens, valueWidth] at every position whose query [batch, tokens, keyWidth]
 * lies within the radius of its nearest key, by that key's value (EasyEdit replaces only the last token; see
 * the README). `keys` [N, keyWidth], `values` [N, valueWidth], `epsilons` [N].
 */
export function replaceWithinRadius(
  activation: Tensor3D,
  query: Tensor3D,
  keys: Tensor2D,
  values: Tensor2D,
  epsilons: tf.Tensor1D,
): Tensor3D {
  return tf.tidy(() => {
    const [batch, tokens, width] = activation.shape;
    const q = tf.reshape(query, [batch * tokens, -1]) as Tensor2D;
    // |q - k|^2 = |q|^2 - 2 q.k + |k|^2, clamped at 0 against rounding.
    const squared = tf.relu(
      tf.add(
        tf.sub(tf.sum(tf.square(q), 1, true), tf.mul(tf.matMul(q, keys, false, true), 2)),
        tf.sum(tf.square(keys), 1),
      ),
    );
    const distance = tf.sqrt(squared);
    const index = tf.argMin(distance, 1);
    const closest = tf.min(distance, 1);
    const hit = tf.lessEqual(closest, tf.gather(epsilons, index));
    const replaced = tf.where(
      tf.reshape(hit, [batch * tokens, 1]).tile([1, width]),
      tf.gather(values, index),
      tf.reshape(activation, [batch * tokens, width]),
    );
    return tf.reshape(replaced, [batch, tokens, width]) as Tensor3D;
  });
}
