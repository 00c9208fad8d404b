export { readFloat32InPlace } from './backend-memory.js';
export type { MatMulDims, MatMulPlan, TwoDRoute } from './batch-mat-mul.js';
export { planBatchMatMul, planTwoD } from './batch-mat-mul.js';
export { frozenMatMul } from './frozen-mat-mul.js';
export {
  installNativeBlasKernels,
  installWasmKernelFixes,
  installWasmPolyfillOnly,
  NATIVE_BLAS_KERNELS,
  NATIVE_ELEMENTWISE_KERNELS,
  nativeBlasKernelsInstalled,
  uninstallNativeBlasKernels,
  uninstallWasmKernelFixes,
  WASM_FIXED_KERNELS,
  wasmKernelFixesInstalled,
} from './install.js';
export { BLAS_LIBRARY_ENV_VAR, loadNativeBlas, type NativeBlas } from './native-blas.js';
export {
  GELU_TANH_GRAD_KERNEL,
  GELU_TANH_KERNEL,
  hasKernel,
  KERNELS_LIBRARY_ENV_VAR,
  LAYER_NORM_KERNEL,
  loadNativeKernels,
  type NativeKernels,
  SOFTMAX_CROSS_ENTROPY_KERNEL,
} from './native-kernels.js';
