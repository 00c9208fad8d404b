/**
 * Typed access to the private parts of tfjs-backend-wasm 4.22's `BackendWasm` that the kernel fixes use.
 * tfjs publishes no types for them, so they are described structurally here and checked once per backend.
 * They are internals: this is why the tfjs version is pinned and every fix is tested against the cpu backend.
 */
import { tf } from '../tf.js';

/** One entry of the backend's `dataIdMap`: where a tensor's bytes live on the wasm heap. */
export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

type WasmFunction = (...args: unknown[]) => unknown;

interface WasmModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): WasmFunction;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: {
    get(dataId: tf.DataId): WasmTensorData;
    set(dataId: tf.DataId, data: WasmTensorData): void;
    delete(dataId: tf.DataId): boolean;
  };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const checked = new WeakSet<object>();

/** Narrows a kernel's `backend` argument, failing loudly if tfjs internals changed shape. */
export function asWasmBackend(backend: unknown): WasmBackend {
  if (typeof backend === 'object' && backend !== null && checked.has(backend)) return backend as WasmBackend;
  const b = backend as Partial<Record<keyof WasmBackend, unknown>> | null;
  const ok =
    b !== null &&
    typeof b === 'object' &&
    typeof b.dataIdNextNumber === 'number' &&
    typeof b.makeOutput === 'function' &&
    typeof b.incRef === 'function' &&
    typeof b.typedArrayFromHeap === 'function' &&
    typeof (b.wasm as Partial<WasmModule> | undefined)?.cwrap === 'function' &&
    typeof (b.wasm as Partial<WasmModule> | undefined)?.tfjs?.registerTensor === 'function' &&
    typeof (b.dataIdMap as { get?: unknown } | undefined)?.get === 'function';
  if (!ok) {
    throw new Error(
      'llmedit wasm kernel fixes: the wasm backend does not have the internals of tfjs-backend-wasm 4.22 ' +
        '(pin @tensorflow/tfjs-backend-wasm to 4.22.0 or start with { kernelFixes: false })',
    );
  }
  checked.add(b);
  return b as WasmBackend;
}

/** A tensor registered inside another tensor's heap block, so C++ kernels read or write a slice in place. */
export interface HeapView {
  readonly info: tf.TensorInfo;
  readonly id: number;
}

const F32_BYTES = 4;

/**
 * Registers a float32 view of `shape` at `offset` elements into `base`. Never pass a view to `disposeData`
 * (that would `free` the middle of a heap block): release it with `dropView`.
 */
export function makeView(
  backend: WasmBackend,
  base: tf.TensorInfo,
  offset: number,
  shape: number[],
): HeapView {
  const baseData = backend.dataIdMap.get(base.dataId);
  const id = backend.dataIdNextNumber++;
  const dataId = { id };
  const memoryOffset = baseData.memoryOffset + offset * F32_BYTES;
  backend.dataIdMap.set(dataId, { id, memoryOffset, shape, dtype: 'float32', refCount: 1 });
  backend.wasm.tfjs.registerTensor(id, tf.util.sizeFromShape(shape), memoryOffset);
  return { info: { dataId, shape, dtype: 'float32' }, id };
}

/** Unregisters a view; the C++ side also drops any XNNPACK operator it cached for this id. */
export function dropView(backend: WasmBackend, view: HeapView): void {
  backend.wasm.tfjs.disposeData(view.id);
  backend.dataIdMap.delete(view.info.dataId);
}

/** Signature of the C++ `BatchMatMul` export: ids, shape bytes and flags. */
export type RawBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const rawMatMuls = new WeakMap<WasmBackend, RawBatchMatMul>();

/** The C++ `BatchMatMul` export, wrapped once per backend instance. */
export function rawBatchMatMul(backend: WasmBackend): RawBatchMatMul {
  let fn = rawMatMuls.get(backend);
  if (fn === undefined) {
    fn = backend.wasm.cwrap('BatchMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]) as RawBatchMatMul;
    rawMatMuls.set(backend, fn);
  }
  return fn;
}

/** Int32 shape as the byte array the C++ exports take. */
export function shapeBytes(shape: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** A TensorInfo that reinterprets `x`'s data with another shape, without touching its refcount. */
export function reinterpret(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}
