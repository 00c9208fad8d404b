/**
 * `BatchMatMul` and `_FusedMatMul` computed by a native BLAS `sgemm` straight on a backend's memory: the
 * operands are typed-array views passed to C as pointers, so nothing is copied, and the transposes are BLAS
 * flags, so nothing is materialised. On the wasm backend (the `native` path) every other kernel stays wasm
 * SIMD, which is faster than the cpu backend's plain JS; on the cpu backend (`native-cpu`) tensors live in JS
 * memory, so models past the 4 GB wasm heap (about 0.7 B parameters) load and run. Inputs BLAS cannot take
 * (other dtypes, general broadcasting, empty products, fused activations) go to the kernel that was
 * registered before (llmedit's wasm fixes, or the cpu backend's own).
 */
import type { tf } from '../tf.js';
import { BLAS_MEMORY, type BlasBackendName, type BlasMemory } from './backend-memory.js';
import { type Operands, operands } from './batch-mat-mul.js';
import { withSetupOf } from './kernel-config.js';
import type { NativeBlas } from './native-blas.js';

/** op(A)·op(B) (+ a per-column bias) for every batch, into one fresh [..., m, n] output. */
function product(memory: BlasMemory, blas: NativeBlas, ops: Operands, bias?: tf.TensorInfo): tf.TensorInfo {
  const { batchA, batchB, m, k, n, transposeA, transposeB } = ops.dims;
  const batch = Math.max(batchA, batchB);
  const out = memory.output(ops.outShape);
  const c = out.data;
  const a = memory.view(ops.a);
  const b = memory.view(ops.b);
  let beta = 0;
  if (bias !== undefined) {
    // C starts as the bias in every row and BLAS adds the product to it (beta = 1).
    const row = memory.view(bias);
    for (let r = 0; r < batch * m; r++) c.set(row, r * n);
    beta = 1;
  }
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  if (batchB === 1 && !transposeA) {
    // A's batch folds into rows: one call.
    blas.sgemm(false, transposeB, batchA * m, n, k, a, lda, b, ldb, beta, c, n);
  } else {
    for (let i = 0; i < batch; i++) {
      const aOffset = (batchA === 1 ? 0 : i) * m * k;
      const bOffset = (batchB === 1 ? 0 : i) * k * n;
      blas.sgemm(
        transposeA,
        transposeB,
        m,
        n,
        k,
        a.subarray(aOffset, aOffset + m * k),
        lda,
        b.subarray(bOffset, bOffset + k * n),
        ldb,
        beta,
        c.subarray(i * m * n, (i + 1) * m * n),
        n,
      );
    }
  }
  return out.finish();
}

/** Operands BLAS takes: float32, batch equal or broadcast from 1, nothing empty. */
function blasOperands(args: Parameters<tf.KernelFunc>[0]): Operands | undefined {
  const ops = operands(args.inputs, args.attrs);
  if (ops === undefined) return undefined;
  const { m, k, n, batchA, batchB } = ops.dims;
  return m > 0 && k > 0 && n > 0 && batchA > 0 && batchB > 0 ? ops : undefined;
}

/** A float32 bias of shape [n], [1, n], ... that adds one value per output column without changing its rank. */
function isColumnBias(bias: tf.TensorInfo, ops: Operands): boolean {
  const rank = bias.shape.length;
  return (
    bias.dtype === 'float32' &&
    rank >= 1 &&
    rank <= ops.outShape.length &&
    bias.shape.every((d, i) => d === (i === rank - 1 ? ops.dims.n : 1))
  );
}

/** `BatchMatMul` for `backendName` on native BLAS; `fallback` (that backend's previous kernel) takes the rest. */
export function createNativeBatchMatMulKernel(
  blas: NativeBlas,
  fallback: tf.KernelConfig,
  backendName: BlasBackendName,
): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const ops = blasOperands(args);
    return ops === undefined
      ? fallback.kernelFunc(args)
      : product(BLAS_MEMORY[backendName](args.backend), blas, ops);
  };
  return withSetupOf({ kernelName: 'BatchMatMul', backendName, kernelFunc }, fallback);
}

/**
 * `_FusedMatMul` for wasm on native BLAS when it is a product plus at most a per-column bias (no activation,
 * no PReLU weights); everything else goes to `fallback`.
 */
export function createNativeFusedMatMulKernel(
  blas: NativeBlas,
  fallback: tf.KernelConfig,
  backendName: BlasBackendName,
): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const ops = blasOperands(args);
    const linear =
      (attrs?.activation ?? 'linear') === 'linear' && inputs.preluActivationWeights === undefined;
    const bias = inputs.bias;
    if (ops === undefined || !linear || (bias !== undefined && !isColumnBias(bias, ops))) {
      return fallback.kernelFunc(args);
    }
    return product(BLAS_MEMORY[backendName](args.backend), blas, ops, bias);
  };
  return withSetupOf({ kernelName: '_FusedMatMul', backendName, kernelFunc }, fallback);
}
