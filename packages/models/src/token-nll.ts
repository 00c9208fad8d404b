// Softmax cross-entropy of chosen tokens: -log softmax(z_r)[y] = logsumexp(z_r) - z_r[y] (Radford et al. 2019, eq. 1).
import { hasKernel, SOFTMAX_CROSS_ENTROPY_KERNEL, type Tensor1D, type Tensor2D, tf } from '@llmedit/core';

/**
 * -log p(labels[i] | row rows[i]) for each i, from logits [N, vocab]; differentiable w.r.t. the logits. On the
 * native path with llmedit's kernels built this is one fused pass per row (and one for the gradient) instead of
 * a log-softmax of every logit; elsewhere it is the log-softmax and a gather.
 */
export function pickedTokenNll(
  logits: Tensor2D,
  rows: readonly number[],
  labels: readonly number[],
): Tensor1D {
  if (rows.length !== labels.length)
    throw new RangeError(`pickedTokenNll: ${rows.length} rows but ${labels.length} labels`);
  const [count, vocab] = logits.shape;
  rows.forEach((row, i) => {
    const label = labels[i]!;
    if (!Number.isInteger(row) || row < 0 || row >= count)
      throw new RangeError(`pickedTokenNll: rows[${i}] = ${row} is not a row of logits [${logits.shape}]`);
    if (!Number.isInteger(label) || label < 0 || label >= vocab)
      throw new RangeError(`pickedTokenNll: labels[${i}] = ${label} is not a token id below ${vocab}`);
  });
  return tf.tidy(() => {
    const perRow =
      logits.dtype === 'float32' && hasKernel(SOFTMAX_CROSS_ENTROPY_KERNEL)
        ? rowLabels(count, rows, labels)
        : undefined;
    if (perRow !== undefined) {
      const [nll] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_KERNEL, {
        logits,
        labels: tf.tensor1d(perRow, 'int32'),
      }) as tf.Tensor[];
      return tf.gather(nll!, tf.tensor1d(Int32Array.from(rows), 'int32')) as Tensor1D;
    }
    const picks = Int32Array.from(rows, (row, i) => row * vocab + labels[i]!);
    return tf.neg(
      tf.gather(tf.reshape(tf.logSoftmax(logits), [-1]), tf.tensor1d(picks, 'int32')),
    ) as Tensor1D;
  });
}

/** One label per row (-1: not scored), or undefined when a row is asked for two different labels. */
function rowLabels(
  count: number,
  rows: readonly number[],
  labels: readonly number[],
): Int32Array | undefined {
  const perRow = new Int32Array(count).fill(-1);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (perRow[row] !== -1 && perRow[row] !== labels[i]) return undefined;
    perRow[row] = labels[i]!;
  }
  return perRow;
}
