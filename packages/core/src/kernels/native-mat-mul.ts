/**
 * `BatchMatMul` and `_FusedMatMul` for the wasm backend computed by a native BLAS `sgemm` straight on the wasm
 * heap: the operands are typed-array views of the heap passed to C as pointers, so nothing is copied, and the
 * transposes are BLAS flags, so nothing is materialised. Every other kernel stays wasm (SIMD), which is why
 * this sits on the wasm backend rather than on the cpu backend (whose elementwise kernels are plain JS).
 * Inputs BLAS cannot take (other dtypes, general broadcasting, empty products, fused activations) go to the
 * kernel that was registered before, i.e. llmedit's wasm fixes.
 */
import type { tf } from '../tf.js';
import { type Operands, operands } from './batch-mat-mul.js';
import type { NativeBlas } from './native-blas.js';
import { asWasmBackend, type WasmBackend } from './wasm-internals.js';

/** op(A)·op(B) (+ a per-column bias) for every batch, into one fresh [..., m, n] output. */
function product(be: WasmBackend, blas: NativeBlas, ops: Operands, bias?: tf.TensorInfo): tf.TensorInfo {
  const { batchA, batchB, m, k, n, transposeA, transposeB } = ops.dims;
  const batch = Math.max(batchA, batchB);
  const out = be.makeOutput([batch, m, n], 'float32');
  // Heap views are taken after the allocation: growing the heap detaches older views.
  const a = be.typedArrayFromHeap(ops.a) as Float32Array;
  const b = be.typedArrayFromHeap(ops.b) as Float32Array;
  const c = be.typedArrayFromHeap({
    dataId: out.dataId,
    shape: [batch * m * n],
    dtype: 'float32',
  }) as Float32Array;
  let beta = 0;
  if (bias !== undefined) {
    // C starts as the bias in every row and BLAS adds the product to it (beta = 1).
    const row = be.typedArrayFromHeap(bias) as Float32Array;
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
  // A fresh output owned by this kernel: relabelling its shape is what the stock kernel does too.
  out.shape = ops.outShape;
  return out;
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

/** `BatchMatMul` for wasm on native BLAS; `fallback` takes what BLAS cannot. */
export function createNativeBatchMatMulKernel(blas: NativeBlas, fallback: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const ops = blasOperands(args);
    return ops === undefined ? fallback.kernelFunc(args) : product(asWasmBackend(args.backend), blas, ops);
  };
  const config: tf.KernelConfig = { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc };
  if (fallback.setupFunc) config.setupFunc = fallback.setupFunc;
  return config;
}

/**
 * `_FusedMatMul` for wasm on native BLAS when it is a product plus at most a per-column bias (no activation,
 * no PReLU weights); everything else goes to `fallback`.
 */
export function createNativeFusedMatMulKernel(blas: NativeBlas, fallback: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const ops = blasOperands(args);
    const linear =
      (attrs?.activation ?? 'linear') === 'linear' && inputs.preluActivationWeights === undefined;
    const bias = inputs.bias;
    if (ops === undefined || !linear || (bias !== undefined && !isColumnBias(bias, ops))) {
      return fallback.kernelFunc(args);
    }
    return product(asWasmBackend(args.backend), blas, ops, bias);
  };
  const config: tf.KernelConfig = { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc };
  if (fallback.setupFunc) config.setupFunc = fallback.setupFunc;
  return config;
}
