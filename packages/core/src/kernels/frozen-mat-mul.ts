/**
 * y = x·W for a frozen weight W, with the resident transpose Wᵀ used for the backward dx = dy·Wᵀ
 * (reference/perf.md section 3, fix 4), so no backward matmul transposes or repacks the weight.
 */
import { ShapeMismatchError } from '../errors/index.js';
import { tf } from '../tf.js';

/**
 * x [m,k] · w [k,n] -> [m,n]. The gradient flows to `x` only (dy·wT); `w` gets none, even when it is a
 * trainable variable. `wT` must equal `tf.transpose(w)` and is kept by the caller (keep it alive as long as w;
 * re-derive it after the weight is assigned, since XNNPACK caches packed weights by tensor id).
 */
export function frozenMatMul(x: tf.Tensor2D, w: tf.Tensor2D, wT: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = x.shape;
  const [kw, n] = w.shape;
  if (x.rank !== 2) throw new ShapeMismatchError('frozenMatMul x', [m, k], x.shape);
  if (w.rank !== 2 || kw !== k) throw new ShapeMismatchError('frozenMatMul w', [k, n], w.shape);
  if (wT.rank !== 2 || wT.shape[0] !== n || wT.shape[1] !== k) {
    throw new ShapeMismatchError('frozenMatMul wT', [n, k], wT.shape);
  }
  // w and wT are closed over, not inputs: the tape then records neither and computes no weight gradient.
  const op = tf.customGrad((input) => {
    const xIn = input as tf.Tensor2D;
    return {
      value: tf.matMul(xIn, w),
      gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, wT),
    };
  });
  return op(x) as tf.Tensor2D;
}
