/**
 * Where a backend keeps float32 data, as kernels that write it from JS or native code need it: typed-array
 * views of inputs, and a fresh output to fill. Views of the wasm heap are taken after the output is allocated
 * (growing the heap detaches older views); the cpu backend's arrays are plain JS memory.
 */
import { tf } from '../tf.js';
import { asWasmBackend, type WasmBackend } from './wasm-internals.js';

export interface BlasMemory {
  output(shape: number[]): { data: Float32Array; finish(): tf.TensorInfo };
  view(info: tf.TensorInfo): Float32Array;
}

export function wasmMemory(backend: unknown): BlasMemory {
  const be: WasmBackend = asWasmBackend(backend);
  return {
    output(shape) {
      const out = be.makeOutput(shape, 'float32');
      const data = be.typedArrayFromHeap(out) as Float32Array;
      return { data, finish: () => out };
    },
    view: (info) => be.typedArrayFromHeap(info) as Float32Array,
  };
}

interface CpuBackend {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function cpuMemory(backend: unknown): BlasMemory {
  const be = backend as CpuBackend;
  return {
    output(shape) {
      const data = new Float32Array(shape.reduce((x, y) => x * y, 1));
      return { data, finish: () => be.makeTensorInfo(shape, 'float32', data) };
    },
    // The cpu backend's readSync returns its stored array, not a copy.
    view: (info) => be.readSync(info.dataId) as Float32Array,
  };
}

/** The backends whose kernels can run on native BLAS. */
export type BlasBackendName = 'wasm' | 'cpu';

export const BLAS_MEMORY: Record<BlasBackendName, (backend: unknown) => BlasMemory> = {
  wasm: wasmMemory,
  cpu: cpuMemory,
};

/**
 * A float32 tensor's data where the current backend keeps it (a view of the wasm heap, or the cpu backend's
 * own array), without the copy `dataSync` makes on wasm; `dataSync()` on other backends. Read it at once and
 * never write to it: the next allocation may move the wasm heap, and the array is the tensor's storage.
 */
export function readFloat32InPlace(tensor: tf.Tensor): Float32Array {
  if (tensor.dtype !== 'float32') throw new Error(`readFloat32InPlace: a ${tensor.dtype} tensor`);
  const backend = tf.getBackend();
  if (backend === 'wasm' || backend === 'cpu') return BLAS_MEMORY[backend](tf.backend()).view(tensor);
  return tensor.dataSync() as Float32Array;
}
