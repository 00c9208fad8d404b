export type { MatMulDims, MatMulPlan, TwoDRoute } from './batch-mat-mul.js';
export { planBatchMatMul, planTwoD } from './batch-mat-mul.js';
export { frozenMatMul } from './frozen-mat-mul.js';
export {
  installWasmKernelFixes,
  installWasmPolyfillOnly,
  uninstallWasmKernelFixes,
  WASM_FIXED_KERNELS,
  wasmKernelFixesInstalled,
} from './install.js';
