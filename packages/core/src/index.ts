export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  type BackendInfo,
  type BackendName,
  BLAS_THREADS_ENV_VAR,
  currentBackend,
  describeBackend,
  type InitBackendOptions,
  initBackend,
} from './backend.js';
export { CACHE_DIR_ENV_VAR, type CacheEnv, userCacheDir } from './cache-dir.js';
export {
  EDIT_MODES,
  EditDisposedError,
  type EditEvaluation,
  type EditMode,
  type EditOptions,
  type EditResult,
  type EditStep,
  type EvalSchedule,
  type EvaluationPoint,
  edit,
  type TensorMemory,
} from './edit.js';
export { ConcurrentEditError, EditOrderError } from './edit-stack.js';
export * from './errors/index.js';
export type {
  DefineHparamsOptions,
  EasyEditHparamsFile,
  EasyEditReaders,
  FieldValidator,
  HparamsFields,
  LengthOptions,
  NumberOptions,
  ReadEasyEditYamlOptions,
} from './hparams.js';
export {
  defineHparams,
  easyEditReaders,
  field,
  HparamsFileError,
  loadEasyEditYaml,
  readEasyEditYaml,
  snakeToCamel,
  snakeToCamelKey,
} from './hparams.js';
export {
  BLAS_LIBRARY_ENV_VAR,
  frozenMatMul,
  GELU_TANH_KERNEL,
  hasKernel,
  installNativeBlasKernels,
  installWasmKernelFixes,
  installWasmPolyfillOnly,
  KERNELS_LIBRARY_ENV_VAR,
  LAYER_NORM_KERNEL,
  loadNativeBlas,
  loadNativeKernels,
  type NativeBlas,
  type NativeKernels,
  nativeBlasKernelsInstalled,
  readFloat32InPlace,
  SOFTMAX_CROSS_ENTROPY_KERNEL,
  uninstallNativeBlasKernels,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from './kernels/index.js';
export type {
  AnyEditMethod,
  EditCapabilities,
  EditContext,
  EditMethodV1,
  EditOutcome,
  EditProgress,
  HparamsOf,
  HparamsSpec,
  PrepareContext,
} from './method.js';
export { assertEditMethod, defineEditMethod, InvalidMethodError, isKebabCase } from './method.js';
export type { EditableModel, WeightSnapshot } from './model.js';
export { siblingModuleUrl, workerEntry } from './module-url.js';
export { createRng, type Rng, randomNormalArray } from './random.js';
export type { MethodRegistry } from './registry.js';
export { createMethodRegistry } from './registry.js';
export type { EditRequest, PromptAnswer } from './request.js';
export type { Rank, Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable } from './tf.js';
export { tf } from './tf.js';
export { validateEditRequest, validateEditRequests } from './validate-request.js';
