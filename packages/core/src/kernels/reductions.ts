/**
 * `Sum` and `Mean` over a contiguous block of axes, as x viewed [outer, reduce, inner] -> [outer, inner].
 *
 * The stock wasm kernels first transpose the reduced axes innermost: a bias gradient (sum over rows of a
 * [2048, 768] activation gradient) took 13 ms, and reductions were a fifth of a training step of the default
 * model. On wasm a JS loop over heap views does the same in one pass; on the native path llmedit's C kernel
 * does (vectorised, and in a fixed order: BLAS `sgemv` with a ones vector was as fast, but split the sums
 * across its threads, so results changed with the thread count and `pnpm bench --jobs 2` no longer matched
 * one process). Other inputs (non-float32, non-contiguous axes, empty tensors) go to the kernel registered
 * before.
 */
import { tf } from '../tf.js';
import { BLAS_MEMORY, type BlasBackendName, type BlasMemory, wasmMemory } from './backend-memory.js';
import { withSetupOf } from './kernel-config.js';
import type { NativeKernels } from './native-kernels.js';

export type ReductionName = 'Sum' | 'Mean';

/** x's shape as [outer, reduce, inner] when `axes` are one contiguous block, else undefined. */
export function reductionBlock(
  shape: readonly number[],
  axis: number | number[] | undefined,
): { outer: number; reduce: number; inner: number; axes: number[] } | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis ?? shape.map((_, i) => i), [...shape]))].sort(
    (a, b) => a - b,
  );
  if (axes.length === 0) return undefined;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length) return undefined;
  const product = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return {
    outer: product(0, first),
    reduce: product(first, last + 1),
    inner: product(last + 1, shape.length),
    axes,
  };
}

function outShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims
    ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : shape.filter((_, i) => !axes.includes(i));
}

/** Writes the sum (or mean) over r of x[o, r, i] into out[o, i]. */
type ReduceInto = (
  x: Float32Array,
  out: Float32Array,
  outer: number,
  reduce: number,
  inner: number,
  mean: boolean,
) => void;

/** `ReduceInto` as a JS loop. */
export const reduceRows: ReduceInto = (x, out, outer, reduce, inner, mean) => {
  const scale = mean ? 1 / reduce : 1;
  if (inner === 1) {
    for (let o = 0, from = 0; o < outer; o++) {
      let sum = 0;
      for (const end = from + reduce; from < end; from++) sum += x[from]!;
      out[o] = sum * scale;
    }
    return;
  }
  out.fill(0);
  for (let o = 0, from = 0; o < outer; o++) {
    const to = o * inner;
    for (let r = 0; r < reduce; r++, from += inner) {
      for (let i = 0; i < inner; i++) out[to + i]! += x[from + i]!;
    }
  }
  if (mean) for (let i = 0; i < out.length; i++) out[i]! *= scale;
};

function createReduction(
  kernelName: ReductionName,
  backendName: BlasBackendName,
  fallback: tf.KernelConfig,
  memory: (backend: unknown) => BlasMemory,
  reduceInto: ReduceInto,
): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x;
    const attrs = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const block = x === undefined || x.dtype !== 'float32' ? undefined : reductionBlock(x.shape, attrs.axis);
    if (x === undefined || block === undefined || block.outer * block.reduce * block.inner === 0)
      return fallback.kernelFunc(args);
    const mem = memory(args.backend);
    const out = mem.output(outShape(x.shape, block.axes, attrs.keepDims === true));
    // The input view is taken after the allocation: growing the wasm heap detaches earlier views.
    reduceInto(mem.view(x), out.data, block.outer, block.reduce, block.inner, kernelName === 'Mean');
    return out.finish();
  };
  return withSetupOf({ kernelName, backendName, kernelFunc }, fallback);
}

/** The wasm fix: the reduction as a JS loop over heap views. */
export function createWasmReductionKernel(
  kernelName: ReductionName,
  stock: tf.KernelConfig,
): tf.KernelConfig {
  return createReduction(kernelName, 'wasm', stock, wasmMemory, reduceRows);
}

/** The native path: the reduction in llmedit's C kernels, on the wasm or the cpu backend's memory. */
export function createNativeReductionKernel(
  kernelName: ReductionName,
  kernels: NativeKernels,
  fallback: tf.KernelConfig,
  backendName: BlasBackendName,
): tf.KernelConfig {
  return createReduction(
    kernelName,
    backendName,
    fallback,
    BLAS_MEMORY[backendName],
    (x, out, outer, reduce, inner, mean) =>
      kernels.reduceSum(x, out, outer, reduce, inner, mean ? 1 / reduce : 1),
  );
}
