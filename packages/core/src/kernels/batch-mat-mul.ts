/**
 * Replacement `BatchMatMul` and `_FusedMatMul` kernels for tfjs-backend-wasm that route transposed,
 * batched and broadcast products to XNNPACK (reference/perf.md section 3, fix 1).
 *
 * The stock kernels call XNNPACK only for `!transposeA && !transposeB` with batch 1 on both sides and run
 * a scalar loop (about 2 GFLOP/s) for everything else, which includes every matmul of a backward pass.
 * Here the transposes are materialised with the Transpose kernel (a few ns per element), a broadcast weight's
 * batch is folded into rows, and true batched products run one XNNPACK call per batch on heap views.
 */
import { tf } from '../tf.js';
import { withSetupOf } from './kernel-config.js';
import {
  asWasmBackend,
  dropView,
  type HeapView,
  makeView,
  rawBatchMatMul,
  reinterpret,
  shapeBytes,
  type WasmBackend,
} from './wasm-internals.js';

/** How a 2-D product `op(A)·op(B)` with batch 1 on both sides is routed to the XNNPACK path. */
export type TwoDRoute =
  /** A·B: already the fast path. */
  | 'plain'
  /** A·Bᵀ as A·T(B). */
  | 'transpose-b'
  /** A·Bᵀ as T(B·T(A)): cheaper when A has fewer rows than B (LM head, dy·Wᵀ). */
  | 'swap'
  /** Aᵀ·B as T(A)·B. */
  | 'transpose-a'
  /** Aᵀ·Bᵀ as T(A)·T(B). */
  | 'transpose-both'
  /** Aᵀ·Bᵀ as T(B·A). */
  | 'swap-both';

export type MatMulPlan =
  /** Leave it to the stock kernel (already fast, unsupported input, or too small to gain). */
  | { readonly kind: 'stock' }
  /** One XNNPACK call; with batchA > 1 and batchB == 1 the batch of A is folded into rows first. */
  | { readonly kind: 'rows'; readonly route: TwoDRoute }
  /** One XNNPACK call per batch element, on heap views of the (materialised) operands. */
  | { readonly kind: 'loop' };

export interface MatMulDims {
  readonly batchA: number;
  readonly batchB: number;
  /** Rows of op(A). */
  readonly m: number;
  /** Inner dimension. */
  readonly k: number;
  /** Columns of op(B). */
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

// Cost model in nanoseconds, fitted to measurements on the project machine (Zen 4, 1 thread, SIMD wasm).
// Only ratios matter. Packing is what XNNPACK does to the right operand ("weights") on first use.
const TRANSPOSE_NS = 4;
const PACK_NS = 6;
// Per-batch XNNPACK call in the loop: operator creation, setup and view bookkeeping, plus packing B_i.
const LOOP_CALL_NS = 6000;
const LOOP_PACK_NS = 10;
// Time per multiply-add: XNNPACK on small per-batch products vs the stock scalar loop.
const LOOP_NS_PER_MAC = 0.25;
const STOCK_NS_PER_MAC = 1.6;

/** Picks the XNNPACK route of a 2-D product op(A)[m,k] · op(B)[k,n] by the memory traffic it adds. */
export function planTwoD(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): TwoDRoute {
  if (!transposeA && !transposeB) return 'plain';
  if (transposeA && !transposeB) return 'transpose-a';
  if (!transposeA) {
    // A·Bᵀ: transpose and pack B, or transpose A, pack Aᵀ and transpose the [n,m] result back.
    const viaB = (TRANSPOSE_NS + PACK_NS) * n * k;
    const viaSwap = (TRANSPOSE_NS + PACK_NS) * m * k + TRANSPOSE_NS * m * n;
    return viaSwap < viaB ? 'swap' : 'transpose-b';
  }
  const both = TRANSPOSE_NS * k * m + (TRANSPOSE_NS + PACK_NS) * n * k;
  const swapBoth = PACK_NS * k * m + TRANSPOSE_NS * m * n;
  return swapBoth < both ? 'swap-both' : 'transpose-both';
}

/** Chooses how the replacement kernel runs a product; see `MatMulPlan`. */
export function planBatchMatMul(d: MatMulDims): MatMulPlan {
  const { batchA, batchB, m, k, n, transposeA, transposeB } = d;
  if (m === 0 || k === 0 || n === 0 || batchA === 0 || batchB === 0) return { kind: 'stock' };
  // General broadcasting (e.g. [2,1]x[1,3]) is left to the stock kernel, as before.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return { kind: 'stock' };
  if (batchB === 1) {
    if (batchA === 1 && !transposeA && !transposeB) return { kind: 'stock' };
    // Folding rows needs A untransposed; the transpose is materialised first in that case.
    const rows = batchA * m;
    const route = planTwoD(batchA > 1 ? rows : m, k, n, batchA > 1 ? false : transposeA, transposeB);
    return { kind: 'rows', route };
  }
  const macs = m * k * n;
  const extra = (transposeA ? TRANSPOSE_NS * m * k : 0) + (transposeB ? TRANSPOSE_NS * k * n : 0);
  const loop = LOOP_CALL_NS + LOOP_PACK_NS * k * n + LOOP_NS_PER_MAC * macs + extra;
  return loop < STOCK_NS_PER_MAC * macs ? { kind: 'loop' } : { kind: 'stock' };
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The stock kernels the replacements delegate to. */
export interface StockKernels {
  readonly batchMatMul: tf.KernelConfig;
  readonly fusedMatMul: tf.KernelConfig;
  readonly transpose: tf.KernelConfig;
}

export function single(out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
  if (Array.isArray(out)) throw new Error('llmedit wasm kernel fixes: expected one output');
  return out;
}

class Runner {
  private readonly temps: tf.TensorInfo[] = [];

  constructor(
    private readonly backend: WasmBackend,
    private readonly stock: StockKernels,
  ) {}

  /** Materialises the per-batch transpose of a rank-3 tensor; freed by `release` unless kept. */
  transpose(x: tf.TensorInfo): tf.TensorInfo {
    const out = single(
      this.stock.transpose.kernelFunc({ inputs: { x }, backend: this.backend, attrs: { perm: [0, 2, 1] } }),
    );
    this.temps.push(out);
    return out;
  }

  /** Stock matmul on untransposed batch-1 operands: the XNNPACK path. */
  plain(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    const out = single(
      this.stock.batchMatMul.kernelFunc({
        inputs: { a, b },
        backend: this.backend,
        attrs: { transposeA: false, transposeB: false },
      }),
    );
    this.temps.push(out);
    return out;
  }

  /** Runs op(A)·op(B) for rank-3 operands with batch 1 through the chosen route. */
  twoD(a: tf.TensorInfo, b: tf.TensorInfo, route: TwoDRoute): tf.TensorInfo {
    switch (route) {
      case 'plain':
        return this.plain(a, b);
      case 'transpose-b':
        return this.plain(a, this.transpose(b));
      case 'swap':
        return this.transpose(this.plain(b, this.transpose(a)));
      case 'transpose-a':
        return this.plain(this.transpose(a), b);
      case 'transpose-both':
        return this.plain(this.transpose(a), this.transpose(b));
      case 'swap-both':
        return this.transpose(this.plain(b, a));
    }
  }

  /** Per-batch XNNPACK products of untransposed operands, written straight into one output. */
  loop(a: tf.TensorInfo, b: tf.TensorInfo, batch: number, m: number, k: number, n: number): tf.TensorInfo {
    const be = this.backend;
    const out = be.makeOutput([batch, m, n], 'float32');
    const run = rawBatchMatMul(be);
    const aShape = shapeBytes([1, m, k]);
    const bShape = shapeBytes([1, k, n]);
    const broadcastA = a.shape[0] === 1;
    const views: HeapView[] = [];
    try {
      const aFixed = broadcastA ? makeView(be, a, 0, [1, m, k]) : undefined;
      if (aFixed) views.push(aFixed);
      for (let i = 0; i < batch; i++) {
        const av = aFixed ?? makeView(be, a, i * m * k, [1, m, k]);
        const bv = makeView(be, b, i * k * n, [1, k, n]);
        const ov = makeView(be, out, i * m * n, [1, m, n]);
        try {
          run(av.id, aShape, 3, bv.id, bShape, 3, 0, 0, ov.id);
        } finally {
          if (av !== aFixed) dropView(be, av);
          dropView(be, bv);
          dropView(be, ov);
        }
      }
    } catch (error) {
      be.disposeData(out.dataId);
      throw error;
    } finally {
      for (const v of views) dropView(be, v);
    }
    return out;
  }

  /** Frees every temporary except `keep`. */
  release(keep?: tf.TensorInfo): void {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** A float32 (batch) matmul's operands as rank-3 [batch, rows, cols] views, with its dimensions. */
export interface Operands {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  dims: MatMulDims;
  outShape: number[];
}

/** Shapes of a (batch) matmul, or undefined for inputs the stock kernel should handle (and report). */
export function operands(inputs: tf.NamedTensorInfoMap, attrs: KernelArgs['attrs']): Operands | undefined {
  const { a, b } = inputs;
  if (a === undefined || b === undefined) return undefined;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const transposeA = attrs?.transposeA === true;
  const transposeB = attrs?.transposeB === true;
  const m = (transposeA ? a.shape[ra - 1] : a.shape[ra - 2]) as number;
  const k = (transposeA ? a.shape[ra - 2] : a.shape[ra - 1]) as number;
  const kB = (transposeB ? b.shape[rb - 1] : b.shape[rb - 2]) as number;
  const n = (transposeB ? b.shape[rb - 2] : b.shape[rb - 1]) as number;
  if (k !== kB) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  return {
    a: reinterpret(a, transposeA ? [batchA, k, m] : [batchA, m, k]),
    b: reinterpret(b, transposeB ? [batchB, n, k] : [batchB, k, n]),
    dims: { batchA, batchB, m, k, n, transposeA, transposeB },
    outShape: [...outer, m, n],
  };
}

/**
 * Brings A to the untransposed [1, batchA*m, k] layout when its batch must be folded into rows, and returns
 * the 2-D flags that remain.
 */
function foldRows(run: Runner, ops: Operands): { a: tf.TensorInfo; transposeA: boolean } {
  const { batchA, m, k, transposeA } = ops.dims;
  if (batchA === 1) return { a: ops.a, transposeA };
  const a = transposeA ? run.transpose(ops.a) : ops.a;
  return { a: reinterpret(a, [1, batchA * m, k]), transposeA: false };
}

function runPlan(be: WasmBackend, stock: StockKernels, ops: Operands, plan: MatMulPlan): tf.TensorInfo {
  const run = new Runner(be, stock);
  let out: tf.TensorInfo | undefined;
  try {
    if (plan.kind === 'rows') {
      const { a } = foldRows(run, ops);
      out = run.twoD(a, ops.b, plan.route);
    } else {
      const { batchA, batchB, m, k, n, transposeA, transposeB } = ops.dims;
      const a = transposeA ? run.transpose(ops.a) : ops.a;
      const b = transposeB ? run.transpose(ops.b) : ops.b;
      out = run.loop(a, b, Math.max(batchA, batchB), m, k, n);
    }
  } finally {
    run.release(out);
  }
  // A fresh output owned by this kernel: relabelling its shape is what the stock kernel does too.
  out.shape = ops.outShape;
  return out;
}

/** `BatchMatMul` for wasm with every transposed, broadcast or batched product on XNNPACK. */
export function createBatchMatMulKernel(stock: StockKernels): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const ops = operands(args.inputs, args.attrs);
    const plan = ops === undefined ? undefined : planBatchMatMul(ops.dims);
    if (ops === undefined || plan === undefined || plan.kind === 'stock')
      return stock.batchMatMul.kernelFunc(args);
    return runPlan(asWasmBackend(args.backend), stock, ops, plan);
  };
  return withSetupOf({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc }, stock.batchMatMul);
}

/**
 * `_FusedMatMul` (tf.fused.matMul) for wasm. Without bias, PReLU weights and activation it is a plain
 * product and takes the replacement BatchMatMul route. Otherwise the operands are materialised untransposed
 * so that the stock kernel's fused XNNPACK path (bias and activation in the same pass) runs: once, with A's
 * batch folded into rows, when B has batch 1, and once per batch on heap views otherwise.
 *
 * This also fixes a stock bug: the stock kernel's scalar path (any transposed or batched product) adds the
 * bias correctly to the first output row only (tfjs-backend-wasm 4.22, checked against the cpu backend).
 */
export function createFusedMatMulKernel(stock: StockKernels): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const ops = operands(inputs, attrs);
    if (ops === undefined) return stock.fusedMatMul.kernelFunc(args);
    const { batchA, batchB, m, k, n, transposeA, transposeB } = ops.dims;
    if (batchA === 1 && batchB === 1 && !transposeA && !transposeB) return stock.fusedMatMul.kernelFunc(args);
    const prelu = inputs.preluActivationWeights;
    const linear = (attrs?.activation ?? 'linear') === 'linear';
    const be = asWasmBackend(args.backend);
    if (inputs.bias === undefined && prelu === undefined && linear) {
      const plan = planBatchMatMul(ops.dims);
      if (plan.kind !== 'stock') return runPlan(be, stock, ops, plan);
      return stock.fusedMatMul.kernelFunc(args);
    }
    // PReLU weights broadcast against the output; only a per-column vector survives folding or slicing.
    if (prelu !== undefined && prelu.shape.length > 1) return stock.fusedMatMul.kernelFunc(args);
    const fused = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo =>
      single(
        stock.fusedMatMul.kernelFunc({
          inputs: { ...inputs, a, b },
          backend: be,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        }),
      );
    const run = new Runner(be, stock);
    let out: tf.TensorInfo | undefined;
    try {
      if (batchB === 1) {
        const { a, transposeA: stillTransposed } = foldRows(run, ops);
        out = fused(stillTransposed ? run.transpose(a) : a, transposeB ? run.transpose(ops.b) : ops.b);
      } else {
        const a = transposeA ? run.transpose(ops.a) : ops.a;
        const b = transposeB ? run.transpose(ops.b) : ops.b;
        out = fusedLoop(be, fused, a, b, batchB, m, k, n);
      }
    } finally {
      run.release();
    }
    out.shape = ops.outShape;
    return out;
  };
  return withSetupOf({ kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc }, stock.fusedMatMul);
}

/** Per-batch fused products on views of untransposed operands, each copied into one [batch,m,n] output. */
function fusedLoop(
  be: WasmBackend,
  fused: (a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  batch: number,
  m: number,
  k: number,
  n: number,
): tf.TensorInfo {
  const out = be.makeOutput([batch, m, n], 'float32');
  const broadcastA = a.shape[0] === 1;
  try {
    for (let i = 0; i < batch; i++) {
      const av = makeView(be, a, broadcastA ? 0 : i * m * k, [1, m, k]);
      const bv = makeView(be, b, i * k * n, [1, k, n]);
      try {
        const part = fused(av.info, bv.info);
        // Views of the heap are taken after every allocation: growing the heap detaches older ones.
        (be.typedArrayFromHeap(out) as Float32Array).set(
          be.typedArrayFromHeap(part) as Float32Array,
          i * m * n,
        );
        be.disposeData(part.dataId);
      } finally {
        dropView(be, av);
        dropView(be, bv);
      }
    }
  } catch (error) {
    be.disposeData(out.dataId);
    throw error;
  }
  return out;
}
