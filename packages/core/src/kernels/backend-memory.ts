/**
 * Where a backend keeps float32 data, as kernels that write it from JS or native code need it: typed-array
 * views of inputs, and a fresh output to fill. Views of the wasm heap are taken after the output is allocated
 * (growing the heap detaches older views); the cpu backend's arrays are plain JS memory.
 */
import type { tf } from '../tf.js';
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
