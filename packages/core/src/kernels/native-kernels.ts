/**
 * llmedit's own kernels in C (native/llmedit-kernels.c: contiguous sums, exp, and one pass each, forward and
 * gradient, for tanh-GELU, layer norm and softmax cross-entropy), built at install by the system compiler
 * (scripts/build-native.mjs) and called through koffi on a backend's memory, like OpenBLAS. Node only; where
 * the library was not built the native path keeps the wasm (or cpu) kernels for these. Measured in a training step of the default model (64 x 32 tokens, one
 * thread): wasm's scalar Exp took 60 ms per [2048, 4096] logits pass and the composed GELU and its gradient
 * a tenth of the step.
 */
import { tf } from '../tf.js';
import { BLAS_MEMORY, type BlasBackendName, type BlasMemory } from './backend-memory.js';
import { withSetupOf } from './kernel-config.js';
import { importKoffi, loaderPerLibraryChoice, message } from './native-blas.js';

/** A path to the kernels library, instead of the one built in this package's `native/build`. */
export const KERNELS_LIBRARY_ENV_VAR = 'LLMEDIT_KERNELS_LIBRARY';

/** The version `llm_kernels_version()` must return (a stale build of another version is refused). */
const KERNELS_VERSION = 5;

/** The fused GELU kernels, registered where the library runs; `geluTanh` in models uses them when present. */
export const GELU_TANH_KERNEL = 'LlmeditGeluTanh';
export const GELU_TANH_GRAD_KERNEL = 'LlmeditGeluTanhGrad';
/**
 * Softmax cross-entropy per row: inputs `logits` [rows, vocab] float32 and `labels` [rows] int32 (a negative
 * label: the row is not scored); outputs the rows' negative log-likelihoods [rows] (0 where not scored) and
 * their log-sum-exp [rows] (kept for the gradient; not differentiable itself).
 */
export const SOFTMAX_CROSS_ENTROPY_KERNEL = 'LlmeditSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL = 'LlmeditSoftmaxCrossEntropyGrad';
/**
 * Layer norm over the last axis: inputs `x` [rows, d], `gamma` [d], `beta` [d] (float32), attribute `epsilon`;
 * outputs y [rows, d] and each row's mean and 1/sqrt(variance + epsilon) [rows] (kept for the gradient).
 */
export const LAYER_NORM_KERNEL = 'LlmeditLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'LlmeditLayerNormGrad';

export interface NativeKernels {
  /** The library file that loaded. */
  readonly library: string;
  /** out[o, i] = scale * sum over r of x[o, r, i], x viewed as [outer, reduce, inner]. */
  reduceSum(
    x: Float32Array,
    out: Float32Array,
    outer: number,
    reduce: number,
    inner: number,
    scale: number,
  ): void;
  exp(x: Float32Array, y: Float32Array): void;
  /** y = x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)), the tanh form of GELU. */
  geluTanh(x: Float32Array, y: Float32Array): void;
  /** dx = dy * d geluTanh(x) / dx. */
  geluTanhGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** Per row of logits [rows, vocab]: nll and log-sum-exp (see SOFTMAX_CROSS_ENTROPY_KERNEL). */
  softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, nll: Float32Array, lse: Float32Array): void;
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    epsilon: number,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  /** The gradient w.r.t. x (into `dx`) or w.r.t. gamma (into `dgamma`): pass null for the other. */
  layerNormGrad(
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dgamma: Float32Array | null,
  ): void;
  /** dlogits = dnll * (softmax - onehot(label)) per scored row, 0 elsewhere. */
  softmaxCrossEntropyGrad(
    logits: Float32Array,
    labels: Int32Array,
    lse: Float32Array,
    dnll: Float32Array,
    dlogits: Float32Array,
  ): void;
}

const LIBRARY_FILE = `libllmedit-kernels.${
  typeof process !== 'undefined' && process.platform === 'darwin'
    ? 'dylib'
    : typeof process !== 'undefined' && process.platform === 'win32'
      ? 'dll'
      : 'so'
}`;

// In consts so that browser bundlers do not try to resolve Node's modules.
const NODE_FS = 'node:fs';
const NODE_URL = 'node:url';
const NODE_OS = 'node:os';

/** Where the build puts the library, seen from this module in the sources (src/kernels) or the build (dist). */
async function builtLibrary(): Promise<string> {
  const [{ existsSync, readFileSync }, { fileURLToPath }, { cpus }] = (await Promise.all([
    import(/* @vite-ignore */ NODE_FS),
    import(/* @vite-ignore */ NODE_URL),
    import(/* @vite-ignore */ NODE_OS),
  ])) as [typeof import('node:fs'), typeof import('node:url'), typeof import('node:os')];
  const candidates = ['../../native/build/', '../native/build/'].map((dir) =>
    fileURLToPath(new URL(dir + LIBRARY_FILE, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `the native kernels are not built (${candidates[0]}): run \`node scripts/build-native.mjs --strict\` in @llmedit/core (needs a C compiler)`,
    );
  }
  // Built with -march=native: code for another CPU could stop the process with an illegal instruction.
  const builtFor = existsSync(`${found}.cpu`) ? readFileSync(`${found}.cpu`, 'utf8') : undefined;
  let here = cpus()[0]?.model ?? 'unknown';
  try {
    // Instruction-set flags on Linux, as scripts/build-native.mjs records them.
    here = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? here;
  } catch {}
  const mismatch = otherCpu(found, builtFor, here);
  if (mismatch !== undefined) throw new Error(mismatch);
  return found;
}

const clip = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);

/** Why a library built for `builtFor` (the build CPU's flags or model; undefined: a portable build) must not load here. */
export function otherCpu(library: string, builtFor: string | undefined, here: string): string | undefined {
  if (builtFor === undefined || builtFor === here) return undefined;
  return (
    `the native kernels at ${library} were built for another CPU (${clip(builtFor)}; this one: ${clip(here)}): ` +
    'rebuild them with `node scripts/build-native.mjs --strict` in @llmedit/core'
  );
}

async function load(fromEnv: string | undefined): Promise<NativeKernels> {
  const koffi = await importKoffi();
  const library = fromEnv ?? (await builtLibrary());
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(library);
  } catch (error) {
    throw new Error(`the native kernels library ${library} did not load: ${message(error)}`, {
      cause: error,
    });
  }
  const version = Number(lib.func('int llm_kernels_version()')());
  if (version !== KERNELS_VERSION) {
    throw new Error(
      `the native kernels library ${library} is version ${version}, this @llmedit/core needs ${KERNELS_VERSION}: rebuild it`,
    );
  }
  const exp = lib.func('void llm_exp(const float*, _Inout_ float*, int64_t)');
  const gelu = lib.func('void llm_gelu_tanh(const float*, _Inout_ float*, int64_t)');
  const geluGrad = lib.func('void llm_gelu_tanh_grad(const float*, const float*, _Inout_ float*, int64_t)');
  const xent = lib.func(
    'void llm_softmax_xent(const float*, const int32_t*, _Inout_ float*, _Inout_ float*, int64_t, int64_t)',
  );
  const xentGrad = lib.func(
    'void llm_softmax_xent_grad(const float*, const int32_t*, const float*, const float*, _Inout_ float*, int64_t, int64_t)',
  );
  const layerNorm = lib.func(
    'void llm_layer_norm(const float*, const float*, const float*, float, _Inout_ float*, _Inout_ float*, _Inout_ float*, int64_t, int64_t)',
  );
  const layerNormGrad = lib.func(
    'void llm_layer_norm_grad(const float*, const float*, const float*, const float*, const float*, _Inout_ float*, _Inout_ float*, int64_t, int64_t)',
  );
  const reduceSum = lib.func(
    'void llm_reduce_sum(const float*, _Inout_ float*, int64_t, int64_t, int64_t, float)',
  );
  return {
    library,
    reduceSum: (x, out, outer, reduce, inner, scale) => void reduceSum(x, out, outer, reduce, inner, scale),
    exp: (x, y) => void exp(x, y, x.length),
    layerNorm: (x, gamma, beta, epsilon, y, mean, rstd) =>
      void layerNorm(x, gamma, beta, epsilon, y, mean, rstd, mean.length, gamma.length),
    layerNormGrad: (x, gamma, mean, rstd, dy, dx, dgamma) =>
      void layerNormGrad(x, gamma, mean, rstd, dy, dx, dgamma, mean.length, gamma.length),
    softmaxCrossEntropy: (logits, labels, nll, lse) =>
      void xent(logits, labels, nll, lse, labels.length, logits.length / labels.length),
    softmaxCrossEntropyGrad: (logits, labels, lse, dnll, dlogits) =>
      void xentGrad(logits, labels, lse, dnll, dlogits, labels.length, logits.length / labels.length),
    geluTanh: (x, y) => void gelu(x, y, x.length),
    geluTanhGrad: (x, dy, dx) => void geluGrad(x, dy, dx, x.length),
  };
}

/** Loads llmedit's native kernels library (once per library choice); rejects with the reason when it cannot. */
export const loadNativeKernels: () => Promise<NativeKernels> = loaderPerLibraryChoice(
  'the native kernels library',
  KERNELS_LIBRARY_ENV_VAR,
  load,
);

type Unary = (x: Float32Array, y: Float32Array) => void;

/** A float32 elementwise kernel on `backendName`'s memory; other dtypes go to `fallback` (or throw without one). */
function unaryKernel(
  kernelName: string,
  backendName: BlasBackendName,
  run: Unary,
  fallback?: tf.KernelConfig,
): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype !== 'float32') {
      if (fallback === undefined) throw new Error(`${kernelName}: needs a float32 input`);
      return fallback.kernelFunc(args);
    }
    const memory = BLAS_MEMORY[backendName](args.backend);
    const out = memory.output([...x.shape]);
    if (out.data.length > 0) run(memory.view(x), out.data);
    return out.finish();
  };
  return withSetupOf({ kernelName, backendName, kernelFunc }, fallback);
}

export function createNativeExpKernel(
  kernels: NativeKernels,
  fallback: tf.KernelConfig,
  backendName: BlasBackendName,
): tf.KernelConfig {
  return unaryKernel('Exp', backendName, kernels.exp, fallback);
}

export function createNativeGeluKernels(
  kernels: NativeKernels,
  backendName: BlasBackendName,
): tf.KernelConfig[] {
  const grad: tf.KernelFunc = (args) => {
    const { x, dy } = args.inputs;
    if (x === undefined || dy === undefined || x.dtype !== 'float32' || dy.dtype !== 'float32')
      throw new Error(`${GELU_TANH_GRAD_KERNEL}: needs float32 x and dy`);
    if (!tf.util.arraysEqual(x.shape, dy.shape))
      throw new Error(`${GELU_TANH_GRAD_KERNEL}: x [${x.shape}] and dy [${dy.shape}] differ in shape`);
    const memory = BLAS_MEMORY[backendName](args.backend);
    const out = memory.output([...x.shape]);
    if (out.data.length > 0) kernels.geluTanhGrad(memory.view(x), memory.view(dy), out.data);
    return out.finish();
  };
  return [
    unaryKernel(GELU_TANH_KERNEL, backendName, kernels.geluTanh),
    { kernelName: GELU_TANH_GRAD_KERNEL, backendName, kernelFunc: grad },
  ];
}

function int32View(memory: BlasMemory, info: tf.TensorInfo): Int32Array {
  const view = memory.view(info) as unknown;
  if (!(view instanceof Int32Array)) throw new Error('expected int32 data');
  return view;
}

/** Rows and vocabulary of [rows, vocab] float32 logits with [rows] int32 labels; throws naming what is wrong. */
function crossEntropyShape(
  kernelName: string,
  logits?: tf.TensorInfo,
  labels?: tf.TensorInfo,
): [number, number] {
  if (logits === undefined || labels === undefined) throw new Error(`${kernelName}: needs logits and labels`);
  if (logits.dtype !== 'float32' || logits.shape.length !== 2 || labels.dtype !== 'int32')
    throw new Error(`${kernelName}: needs float32 logits [rows, vocab] and int32 labels [rows]`);
  const [rows, vocab] = logits.shape as [number, number];
  if (labels.shape.length !== 1 || labels.shape[0] !== rows)
    throw new Error(`${kernelName}: labels [${labels.shape}] do not match logits [${logits.shape}]`);
  if (vocab === 0 && rows > 0) throw new Error(`${kernelName}: logits have no classes`);
  return [rows, vocab];
}

export function createNativeCrossEntropyKernels(
  kernels: NativeKernels,
  backendName: BlasBackendName,
): tf.KernelConfig[] {
  const forward: tf.KernelFunc = (args) => {
    const { logits, labels } = args.inputs;
    const [rows, vocab] = crossEntropyShape(SOFTMAX_CROSS_ENTROPY_KERNEL, logits, labels);
    const memory = BLAS_MEMORY[backendName](args.backend);
    // Labels are checked before anything is allocated, so a bad one leaves nothing behind.
    for (const label of int32View(memory, labels!)) {
      if (label >= vocab)
        throw new Error(`${SOFTMAX_CROSS_ENTROPY_KERNEL}: label ${label} is not below ${vocab}`);
    }
    const nll = memory.output([rows]).finish();
    const lse = memory.output([rows]).finish();
    if (rows > 0) {
      // Views are taken after the allocations: a wasm heap that grew detached the earlier ones.
      kernels.softmaxCrossEntropy(
        memory.view(logits!),
        int32View(memory, labels!),
        memory.view(nll),
        memory.view(lse),
      );
    }
    return [nll, lse];
  };
  const backward: tf.KernelFunc = (args) => {
    const { logits, labels, lse, dnll } = args.inputs;
    const [rows, vocab] = crossEntropyShape(SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL, logits, labels);
    const memory = BLAS_MEMORY[backendName](args.backend);
    const out = memory.output([rows, vocab]);
    if (rows > 0) {
      kernels.softmaxCrossEntropyGrad(
        memory.view(logits!),
        int32View(memory, labels!),
        memory.view(lse!),
        memory.view(dnll!),
        out.data,
      );
    }
    return out.finish();
  };
  return [
    { kernelName: SOFTMAX_CROSS_ENTROPY_KERNEL, backendName, kernelFunc: forward },
    { kernelName: SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL, backendName, kernelFunc: backward },
  ];
}

export function createNativeLayerNormKernels(
  kernels: NativeKernels,
  backendName: BlasBackendName,
): tf.KernelConfig[] {
  const shapeOf = (name: string, x?: tf.TensorInfo, gamma?: tf.TensorInfo, beta?: tf.TensorInfo) => {
    if (x === undefined || gamma === undefined || beta === undefined)
      throw new Error(`${name}: missing input`);
    const [rows, d] = x.shape as [number, number];
    const ok =
      x.shape.length === 2 &&
      [x, gamma, beta].every((t) => t.dtype === 'float32') &&
      [gamma, beta].every((t) => t.shape.length === 1 && t.shape[0] === d);
    if (!ok) throw new Error(`${name}: needs float32 x [rows, d] with gamma and beta [d]`);
    return [rows, d] as const;
  };
  const forward: tf.KernelFunc = (args) => {
    const { x, gamma, beta } = args.inputs;
    const [rows, d] = shapeOf(LAYER_NORM_KERNEL, x, gamma, beta);
    const epsilon = Number((args.attrs as { epsilon?: unknown } | undefined)?.epsilon);
    if (!(epsilon >= 0)) throw new Error(`${LAYER_NORM_KERNEL}: epsilon must be a non-negative number`);
    const memory = BLAS_MEMORY[backendName](args.backend);
    const outs = [
      memory.output([rows, d]).finish(),
      memory.output([rows]).finish(),
      memory.output([rows]).finish(),
    ];
    if (rows * d > 0) {
      // Views are taken after the allocations: a wasm heap that grew detached the earlier ones.
      const [y, mean, rstd] = outs.map((o) => memory.view(o)) as [Float32Array, Float32Array, Float32Array];
      kernels.layerNorm(memory.view(x!), memory.view(gamma!), memory.view(beta!), epsilon, y, mean, rstd);
    }
    return outs;
  };
  // Attribute `wrt`: 'x' gives dx [rows, d], 'gamma' gives dgamma [d] (one kernel call per gradient, since
  // tfjs computes and disposes each input's gradient on its own).
  const backward: tf.KernelFunc = (args) => {
    const { x, gamma, mean, rstd, dy } = args.inputs;
    const [rows, d] = shapeOf(LAYER_NORM_GRAD_KERNEL, x, gamma, gamma);
    const wrt = (args.attrs as { wrt?: unknown } | undefined)?.wrt;
    if (wrt !== 'x' && wrt !== 'gamma')
      throw new Error(`${LAYER_NORM_GRAD_KERNEL}: wrt must be 'x' or 'gamma'`);
    const memory = BLAS_MEMORY[backendName](args.backend);
    const out = memory.output(wrt === 'x' ? [rows, d] : [d]);
    if (rows * d > 0) {
      kernels.layerNormGrad(
        memory.view(x!),
        memory.view(gamma!),
        memory.view(mean!),
        memory.view(rstd!),
        memory.view(dy!),
        wrt === 'x' ? out.data : null,
        wrt === 'gamma' ? out.data : null,
      );
    } else {
      out.data.fill(0);
    }
    return out.finish();
  };
  return [
    { kernelName: LAYER_NORM_KERNEL, backendName, kernelFunc: forward },
    { kernelName: LAYER_NORM_GRAD_KERNEL, backendName, kernelFunc: backward },
  ];
}

let gradientsRegistered = false;

/** The gradients of the fused kernels, through their derivative kernels (registered once, for every backend). */
export function registerFusedGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: GELU_TANH_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () =>
        tf.engine().runKernel(GELU_TANH_GRAD_KERNEL, { x: saved[0]!, dy: dy as tf.Tensor }) as tf.Tensor,
    }),
  });
  tf.registerGradient({
    kernelName: LAYER_NORM_KERNEL,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved) => {
      const [x, gamma, mean, rstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      // Only y is differentiable; the row statistics are there for this gradient.
      const dy = (dys as tf.Tensor[])[0]!;
      const inputs = { x, gamma, mean, rstd, dy };
      return {
        x: () => tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, inputs, { wrt: 'x' }) as tf.Tensor,
        gamma: () => tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, inputs, { wrt: 'gamma' }) as tf.Tensor,
        beta: () => tf.sum(dy, 0),
      };
    },
  });
  tf.registerGradient({
    kernelName: SOFTMAX_CROSS_ENTROPY_KERNEL,
    inputsToSave: ['logits', 'labels'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [logits, labels, lse] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      // Only the nll output is differentiable; the log-sum-exp output is there for this gradient.
      const dnll = (dys as tf.Tensor[])[0]!;
      return {
        logits: () =>
          tf
            .engine()
            .runKernel(SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL, { logits, labels, lse, dnll }) as tf.Tensor,
        labels: () => tf.zerosLike(labels),
      };
    },
  });
}

/** Whether the current backend has a kernel named `kernelName` (e.g. a fused kernel of the native path). */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
