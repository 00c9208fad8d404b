/**
 * Copy kernels for wasm that move whole rows with `TypedArray.set` on heap views (reference/perf.md section 3).
 *
 * Measured in a training step of the default model (8 x d192, 64 x 32 tokens, 1 thread): the stock `Slice`
 * reads its input with `readSync`, a copy of the whole tensor per slice, so `SplitV` of the fused q/k/v
 * projection copied it three times (6 ms a call); the C++ `Gather` took 16 ms for 2048 embedding rows; and
 * `Cast` to the same dtype (every product's gradient casts its other operand) copied instead of sharing.
 * Inputs these do not cover (strings, batched gathers) go to the stock kernels.
 */
import { tf } from '../tf.js';
import { shareData } from './identity.js';
import { withSetupOf } from './kernel-config.js';
import { asWasmBackend } from './wasm-internals.js';

/** `Cast` to the input's own dtype shares the data by refcount, as the cpu backend does; others are stock. */
export function createCastKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string' || args.attrs?.dtype !== x.dtype)
      return stock.kernelFunc(args);
    return shareData(args.backend, x);
  };
  return withSetupOf({ kernelName: 'Cast', backendName: 'wasm', kernelFunc }, stock);
}

type Numeric = Float32Array | Int32Array | Uint8Array;

/**
 * Copies the box `begin`/`size` of a row-major array of `shape` into `out`: trailing dimensions taken whole
 * are merged into one run, and each run is one `set`.
 */
export function copyBox(
  x: Numeric,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Numeric,
): void {
  const rank = shape.length;
  if (rank === 0) {
    out.set(x.subarray(0, 1));
    return;
  }
  let d = rank - 1;
  let inner = 1;
  while (d > 0 && size[d] === shape[d]) {
    inner *= shape[d]!;
    d--;
  }
  const run = size[d]! * inner;
  const strides = tf.util.computeStrides([...shape]);
  strides.push(1);
  // Odometer over the output index of dimensions 0..d-1.
  const index = new Array<number>(d).fill(0);
  const runs = d === 0 ? 1 : size.slice(0, d).reduce((a, b) => a * b, 1);
  const start = begin[d]! * inner;
  for (let r = 0, to = 0; r < runs; r++, to += run) {
    let from = start;
    for (let j = 0; j < d; j++) from += (begin[j]! + index[j]!) * strides[j]!;
    out.set(x.subarray(from, from + run), to);
    for (let j = d - 1; j >= 0; j--) {
      if (++index[j]! < size[j]!) break;
      index[j] = 0;
    }
  }
}

function sliceInfo(
  backend: ReturnType<typeof asWasmBackend>,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) > 0) {
    // Views are taken after the allocation: growing the heap detaches earlier ones.
    copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  }
  return out;
}

/** `Slice` on heap views (no copy of the input). */
export function createSliceKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') return stock.kernelFunc(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [number[], number[]];
    return sliceInfo(asWasmBackend(args.backend), x, begin, size);
  };
  return withSetupOf({ kernelName: 'Slice', backendName: 'wasm', kernelFunc }, stock);
}

/** `SplitV` as one heap-view slice per part. */
export function createSplitVKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') return stock.kernelFunc(args);
    const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const backend = asWasmBackend(args.backend);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const part = sliceInfo(backend, x, [...begin], size);
      begin[axis] = begin[axis]! + s;
      return part;
    });
  };
  return withSetupOf({ kernelName: 'SplitV', backendName: 'wasm', kernelFunc }, stock);
}

/** `GatherV2` without batch dimensions: one `set` per gathered slice. Indices out of range throw, as stock. */
export function createGatherKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x, indices } = args.inputs;
    const attrs = args.attrs as unknown as { axis: number; batchDims: number };
    if (x === undefined || indices === undefined || x.dtype === 'string' || (attrs.batchDims ?? 0) !== 0)
      return stock.kernelFunc(args);
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const dim = x.shape[axis]!;
    const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const backend = asWasmBackend(args.backend);
    const ids = backend.typedArrayFromHeap(indices);
    for (const index of ids) {
      if (!(index >= 0 && index < dim))
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
    }
    // Checked before the allocation, so a bad index leaves nothing behind.
    const out = backend.makeOutput(
      [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)],
      x.dtype,
    );
    // Views are taken after the allocation: growing the heap detaches earlier ones.
    const indexView = backend.typedArrayFromHeap(indices);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    let to = 0;
    for (let o = 0; o < outer; o++) {
      const base = o * dim * inner;
      for (const index of indexView) {
        const from = base + index * inner;
        dst.set(src.subarray(from, from + inner), to);
        to += inner;
      }
    }
    return out;
  };
  return withSetupOf({ kernelName: 'GatherV2', backendName: 'wasm', kernelFunc }, stock);
}

/** `Concat` with one `set` per input block (the stock kernel copies element by element). */
export function createConcatKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const first = inputs[0];
    if (first === undefined || first.dtype === 'string') return stock.kernelFunc(args);
    const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, first.shape)[0]!;
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    // Shape checks, the single-input case and empty outputs are the stock kernel's.
    if (parts.length < 2) return stock.kernelFunc(args);
    tf.backend_util.assertParamsConsistent(
      inputs.map((t) => t.shape),
      axis,
    );
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(
      tf.backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        axis,
      ),
      first.dtype,
    );
    const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
    const blocks = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const views = parts.map((t) => backend.typedArrayFromHeap(t));
    const dst = backend.typedArrayFromHeap(out);
    let to = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < views.length; i++) {
        const block = blocks[i]!;
        dst.set(views[i]!.subarray(r * block, (r + 1) * block), to);
        to += block;
      }
    }
    return out;
  };
  return withSetupOf({ kernelName: 'Concat', backendName: 'wasm', kernelFunc }, stock);
}
