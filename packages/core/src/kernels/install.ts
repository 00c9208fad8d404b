/**
 * Installs and removes the wasm kernel fixes (reference/perf.md section 3) in tfjs's global kernel registry.
 * Only the 'wasm' backend's entries change; the stock configs are kept so `uninstall` restores them exactly.
 */
import { tf } from '../tf.js';
import type { BlasBackendName } from './backend-memory.js';
import { createBatchMatMulKernel, createFusedMatMulKernel, type StockKernels } from './batch-mat-mul.js';
import {
  createCastKernel,
  createConcatKernel,
  createGatherKernel,
  createSliceKernel,
  createSplitVKernel,
} from './copies.js';
import { createIdentityKernel } from './identity.js';
import type { NativeBlas } from './native-blas.js';
import {
  createNativeCrossEntropyKernels,
  createNativeExpKernel,
  createNativeGeluKernels,
  createNativeLayerNormKernels,
  GELU_TANH_GRAD_KERNEL,
  GELU_TANH_KERNEL,
  LAYER_NORM_GRAD_KERNEL,
  LAYER_NORM_KERNEL,
  type NativeKernels,
  registerFusedGradients,
  SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL,
  SOFTMAX_CROSS_ENTROPY_KERNEL,
} from './native-kernels.js';
import { createNativeBatchMatMulKernel, createNativeFusedMatMulKernel } from './native-mat-mul.js';
import { createNativeReductionKernel, createWasmReductionKernel } from './reductions.js';
import { createUnsortedSegmentSumKernel } from './unsorted-segment-sum.js';

const BACKEND = 'wasm';

/** The kernels this module replaces or adds on the wasm backend. */
export const WASM_FIXED_KERNELS = [
  'BatchMatMul',
  '_FusedMatMul',
  'Identity',
  'UnsortedSegmentSum',
  'Cast',
  'Slice',
  'SplitV',
  'GatherV2',
  'Concat',
  'Sum',
  'Mean',
] as const;

type FixedKernel = (typeof WASM_FIXED_KERNELS)[number];

/** The stock config of each fixed kernel (undefined where wasm has none), while the fixes are installed. */
let saved: Map<FixedKernel, tf.KernelConfig | undefined> | undefined;

function registered(name: string): tf.KernelConfig | undefined {
  // getKernel is typed as always returning a config but yields undefined for an unknown kernel.
  return tf.getKernel(name, BACKEND) as tf.KernelConfig | undefined;
}

function required(name: string): tf.KernelConfig {
  const config = registered(name);
  if (config === undefined) {
    throw new Error(
      `Cannot install the wasm kernel fixes: kernel '${name}' is not registered for 'wasm' ` +
        "(import '@tensorflow/tfjs-backend-wasm' first)",
    );
  }
  return config;
}

function replace(name: FixedKernel, config: tf.KernelConfig | undefined): void {
  if (registered(name) !== undefined) tf.unregisterKernel(name, BACKEND);
  if (config !== undefined) tf.registerKernel(config);
}

/**
 * Replaces wasm's `BatchMatMul`, `_FusedMatMul` and `Identity` and adds `UnsortedSegmentSum`. Idempotent.
 * Requires `@tensorflow/tfjs-backend-wasm` to be imported; works before or after the backend starts.
 */
export function installWasmKernelFixes(): void {
  if (saved !== undefined) return;
  const stock: StockKernels = {
    batchMatMul: required('BatchMatMul'),
    fusedMatMul: required('_FusedMatMul'),
    transpose: required('Transpose'),
  };
  const identity = required('Identity');
  const previous = new Map<FixedKernel, tf.KernelConfig | undefined>();
  for (const name of WASM_FIXED_KERNELS) previous.set(name, registered(name));
  replace('BatchMatMul', createBatchMatMulKernel(stock));
  replace('_FusedMatMul', createFusedMatMulKernel(stock));
  replace('Identity', createIdentityKernel(identity));
  replace('UnsortedSegmentSum', createUnsortedSegmentSumKernel());
  replace('Cast', createCastKernel(required('Cast')));
  replace('Slice', createSliceKernel(required('Slice')));
  replace('SplitV', createSplitVKernel(required('SplitV')));
  replace('GatherV2', createGatherKernel(required('GatherV2')));
  replace('Concat', createConcatKernel(required('Concat')));
  replace('Sum', createWasmReductionKernel('Sum', required('Sum')));
  replace('Mean', createWasmReductionKernel('Mean', required('Mean')));
  saved = previous;
}

/** Restores the stock wasm kernels (and removes `UnsortedSegmentSum` if wasm had none). Idempotent. */
export function uninstallWasmKernelFixes(): void {
  // The native kernels delegate to the fixes: they go first.
  uninstallNativeBlasKernels();
  if (saved === undefined) return;
  for (const name of WASM_FIXED_KERNELS) replace(name, saved.get(name));
  saved = undefined;
}

/** Whether the fixes are currently registered. */
export function wasmKernelFixesInstalled(): boolean {
  return saved !== undefined;
}

/**
 * Adds only the missing `UnsortedSegmentSum` kernel, without the speed fixes: the stock baseline that can
 * train at all (embedding gradients need it), as perf.md's stock rows were measured. No-op if present.
 */
export function installWasmPolyfillOnly(): void {
  if (registered('UnsortedSegmentSum') === undefined) tf.registerKernel(createUnsortedSegmentSumKernel());
}

/** The kernels the native BLAS path replaces (on wasm on top of the fixes). */
export const NATIVE_BLAS_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

/** The kernels llmedit's own native library (native/llmedit-kernels.c) adds or replaces, when it is built. */
export const NATIVE_ELEMENTWISE_KERNELS = [
  'Sum',
  'Mean',
  'Exp',
  GELU_TANH_KERNEL,
  GELU_TANH_GRAD_KERNEL,
  SOFTMAX_CROSS_ENTROPY_KERNEL,
  SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL,
  LAYER_NORM_KERNEL,
  LAYER_NORM_GRAD_KERNEL,
] as const;

/** Per backend, what the native kernels replaced (undefined: a kernel the backend did not have), while installed. */
const savedBeforeNative = new Map<BlasBackendName, Map<string, tf.KernelConfig | undefined>>();

function registeredOn(name: string, backend: BlasBackendName): tf.KernelConfig {
  const config = tf.getKernel(name, backend) as tf.KernelConfig | undefined;
  if (config === undefined) throw new Error(`kernel '${name}' is not registered for '${backend}'`);
  return config;
}

/**
 * Routes a backend's matrix products to a native BLAS (see native-mat-mul.ts), and with `kernels` its
 * contiguous sums and means, exp, and the fused GELU, layer norm and cross-entropy to llmedit's native library: on wasm on top
 * of the kernel fixes, which it installs if needed and which take the inputs BLAS cannot; on cpu on top of its
 * own kernels. Idempotent; `uninstallNativeBlasKernels` undoes it.
 */
export function installNativeBlasKernels(
  blas: NativeBlas,
  backend: BlasBackendName = 'wasm',
  kernels?: NativeKernels,
): void {
  if (savedBeforeNative.has(backend)) return;
  if (backend === 'wasm') installWasmKernelFixes();
  const replacements: tf.KernelConfig[] = [
    createNativeBatchMatMulKernel(blas, registeredOn('BatchMatMul', backend), backend),
    createNativeFusedMatMulKernel(blas, registeredOn('_FusedMatMul', backend), backend),
  ];
  if (kernels !== undefined) {
    registerFusedGradients();
    replacements.push(
      createNativeReductionKernel('Sum', kernels, registeredOn('Sum', backend), backend),
      createNativeReductionKernel('Mean', kernels, registeredOn('Mean', backend), backend),
      createNativeExpKernel(kernels, registeredOn('Exp', backend), backend),
      ...createNativeGeluKernels(kernels, backend),
      ...createNativeCrossEntropyKernels(kernels, backend),
      ...createNativeLayerNormKernels(kernels, backend),
    );
  }
  const previous = new Map<string, tf.KernelConfig | undefined>();
  for (const config of replacements) {
    const before = tf.getKernel(config.kernelName, backend) as tf.KernelConfig | undefined;
    previous.set(config.kernelName, before);
    if (before !== undefined) tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel(config);
  }
  savedBeforeNative.set(backend, previous);
}

/** Puts back the kernels the native path replaced on `backend` (wasm's fixes stay). Idempotent. */
export function uninstallNativeBlasKernels(backend: BlasBackendName = 'wasm'): void {
  const previous = savedBeforeNative.get(backend);
  if (previous === undefined) return;
  for (const [name, config] of previous) {
    tf.unregisterKernel(name, backend);
    if (config !== undefined) tf.registerKernel(config);
  }
  savedBeforeNative.delete(backend);
}

/** Whether `backend`'s matrix products currently run on native BLAS. */
export function nativeBlasKernelsInstalled(backend: BlasBackendName = 'wasm'): boolean {
  return savedBeforeNative.has(backend);
}
