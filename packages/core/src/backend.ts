/**
 * Tensor backend selection: native TensorFlow (optional peer `@tensorflow/tfjs-node`) when it loads, else
 * WebAssembly with its matrix products on the system's OpenBLAS (`native`, Node only), else WebAssembly with
 * llmedit's kernel fixes, else the plain JS cpu backend. `LLMEDIT_BACKEND` overrides the order.
 */
import { BackendUnavailableError } from './errors/index.js';
import {
  installNativeBlasKernels,
  installWasmKernelFixes,
  loadNativeBlas,
  loadNativeKernels,
  nativeBlasKernelsInstalled,
  uninstallNativeBlasKernels,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from './kernels/index.js';
import { message } from './kernels/native-blas.js';
import { tf } from './tf.js';

/**
 * `native` is the wasm backend with its matrix products on a native BLAS (see kernels/native-mat-mul.ts);
 * `native-cpu` the cpu backend with them, for models past the 4 GB wasm heap (only when asked for).
 */
export type BackendName = 'tensorflow' | 'native' | 'wasm' | 'cpu' | 'native-cpu';

/** Every backend llmedit knows: the default order of preference, then `native-cpu` (used only when named). */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'native', 'wasm', 'cpu', 'native-cpu'];
const DEFAULT_ORDER: readonly BackendName[] = ['tensorflow', 'native', 'wasm', 'cpu'];

/** Threads of the native BLAS (`native` only); default: the library's own choice (all cores). */
export const BLAS_THREADS_ENV_VAR = 'LLMEDIT_BLAS_THREADS';

/** Environment variable with a backend name or a comma-separated order, e.g. `wasm` or `wasm,cpu`. */
export const BACKEND_ENV_VAR = 'LLMEDIT_BACKEND';

export interface BackendInfo {
  readonly name: BackendName;
  /** Whether llmedit's replacement kernels are active (wasm and native). */
  readonly kernelFixes: boolean;
  /** wasm and native: whether the SIMD binary runs. */
  readonly simd?: boolean;
  /** wasm and native: threads of the wasm module (1 in Node with stock tfjs). */
  readonly threads?: number;
  /** native: the BLAS library that runs the matrix products, what it says it is, and its threads (if set). */
  readonly blas?: { readonly library: string; readonly description: string; readonly threads?: number };
  /**
   * native and native-cpu: llmedit's own native kernels (sums, exp, fused GELU, layer norm and cross-entropy),
   * built at install with the system C compiler: the library that runs them, or why they are not in use (the
   * backend's own kernels run instead).
   */
  readonly nativeKernels?: { readonly library: string } | { readonly unavailable: string };
}

export interface InitBackendOptions {
  /** Order to try; empty or absent means tensorflow, native, wasm, cpu. `LLMEDIT_BACKEND` takes precedence. */
  readonly prefer?: readonly BackendName[];
  /** Install the wasm kernel fixes (default true). `false` runs stock tfjs-wasm kernels, e.g. to compare. */
  readonly kernelFixes?: boolean;
  /**
   * Threads of the native BLAS (default `LLMEDIT_BLAS_THREADS`, else the library's default). Set 1 where
   * several worker threads each run products, so that they do not oversubscribe the cores.
   */
  readonly blasThreads?: number;
}

// In a const so that TypeScript does not need its types and vite does not try to resolve it.
const TFJS_NODE = '@tensorflow/tfjs-node';

let nodeImport: Promise<unknown> | undefined;
let wasmImport: Promise<typeof import('@tensorflow/tfjs-backend-wasm')> | undefined;
let current: { info: BackendInfo; key: string } | undefined;

function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

function backendOrder(prefer: readonly BackendName[] | undefined): BackendName[] {
  const fromEnv = typeof process === 'undefined' ? undefined : process.env[BACKEND_ENV_VAR]?.trim();
  let names: readonly string[];
  let source: string;
  if (fromEnv) {
    names = fromEnv.split(',').map((s) => s.trim().toLowerCase());
    source = `${BACKEND_ENV_VAR}=${fromEnv}`;
  } else {
    names = prefer !== undefined && prefer.length > 0 ? prefer : DEFAULT_ORDER;
    source = 'options.prefer';
  }
  const bad = names.filter((n) => !isBackendName(n));
  if (bad.length > 0) {
    throw new BackendUnavailableError(
      bad.map((n) => ({
        backend: n,
        reason: `unknown backend name in ${source} (expected one of ${BACKEND_NAMES.join(', ')})`,
      })),
    );
  }
  return [...new Set(names as BackendName[])];
}

async function switchTo(name: string): Promise<void> {
  // setBackend reports a failed backend start by returning false (after logging), not by throwing.
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

async function startTensorflow(): Promise<BackendInfo> {
  nodeImport ??= import(/* @vite-ignore */ TFJS_NODE);
  try {
    await nodeImport;
  } catch (error) {
    throw new Error(`${TFJS_NODE} is not installed or not built: ${message(error)}`, { cause: error });
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    throw new Error(`${TFJS_NODE} loaded but registered no 'tensorflow' backend with llmedit's tfjs-core`);
  }
  await switchTo('tensorflow');
  return { name: 'tensorflow', kernelFixes: false };
}

async function startWasm(kernelFixes: boolean): Promise<BackendInfo> {
  // Importing registers the 'wasm' backend and its kernels.
  wasmImport ??= import('@tensorflow/tfjs-backend-wasm');
  const wasm = await wasmImport;
  await switchTo('wasm');
  uninstallNativeBlasKernels();
  if (kernelFixes) installWasmKernelFixes();
  else uninstallWasmKernelFixes();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return { name: 'wasm', kernelFixes, simd, threads: wasm.getThreadsCount() };
}

function blasThreads(option: number | undefined): number | undefined {
  if (option !== undefined) return option;
  const fromEnv = typeof process === 'undefined' ? undefined : process.env[BLAS_THREADS_ENV_VAR]?.trim();
  if (!fromEnv) return undefined;
  const threads = Number(fromEnv);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`${BLAS_THREADS_ENV_VAR}=${fromEnv} is not a positive integer`);
  return threads;
}

async function startCpu(): Promise<BackendInfo> {
  await switchTo('cpu');
  uninstallNativeBlasKernels('cpu');
  return { name: 'cpu', kernelFixes: false };
}

async function startNative(on: 'wasm' | 'cpu', threadsOption: number | undefined): Promise<BackendInfo> {
  // The library is loaded before the switch, so a machine without it keeps whatever backend it had.
  const blas = await loadNativeBlas();
  const threads = blasThreads(threadsOption);
  if (threads !== undefined) blas.setThreads(threads);
  const kernels = await loadNativeKernels().then(
    (loaded) => ({ loaded, info: { library: loaded.library } }),
    (error: unknown) => ({ loaded: undefined, info: { unavailable: message(error) } }),
  );
  const base = on === 'wasm' ? await startWasm(true) : await startCpu();
  installNativeBlasKernels(blas, on, kernels.loaded);
  return {
    ...base,
    name: on === 'wasm' ? 'native' : 'native-cpu',
    blas: {
      library: blas.library,
      description: blas.description,
      ...(threads === undefined ? {} : { threads }),
    },
    nativeKernels: kernels.info,
  };
}

async function start(name: BackendName, options: InitBackendOptions): Promise<BackendInfo> {
  const kernelFixes = options.kernelFixes ?? true;
  switch (name) {
    case 'tensorflow':
      return startTensorflow();
    case 'native':
      if (!kernelFixes)
        throw new Error('the native path runs on the kernel fixes (kernelFixes: false asks for stock wasm)');
      return startNative('wasm', options.blasThreads);
    case 'native-cpu':
      return startNative('cpu', options.blasThreads);
    case 'wasm':
      return startWasm(kernelFixes);
    case 'cpu':
      return startCpu();
  }
}

/** The tfjs backend each llmedit backend runs on. */
const TFJS_BACKEND: Record<BackendName, string> = {
  tensorflow: 'tensorflow',
  native: 'wasm',
  wasm: 'wasm',
  'native-cpu': 'cpu',
  cpu: 'cpu',
};

function stillActive(info: BackendInfo): boolean {
  const tfName = TFJS_BACKEND[info.name];
  if (tf.getBackend() !== tfName) return false;
  if (tfName === 'cpu') return nativeBlasKernelsInstalled('cpu') === (info.name === 'native-cpu');
  if (tfName !== 'wasm') return true;
  return (
    wasmKernelFixesInstalled() === info.kernelFixes &&
    nativeBlasKernelsInstalled() === (info.name === 'native')
  );
}

/**
 * Starts the first backend of the order that works and makes it tfjs's current backend. The order is
 * `LLMEDIT_BACKEND` (one name or a comma list) if set, else `options.prefer`, else tensorflow, native, wasm, cpu.
 * A repeated call with the same order and options returns the same info without work, unless the backend
 * was changed in between. Throws `BackendUnavailableError` listing each failure when none starts.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const order = backendOrder(options.prefer);
  const kernelFixes = options.kernelFixes ?? true;
  const key = `${order.join(',')}|${kernelFixes}|${options.blasThreads ?? ''}`;
  if (current !== undefined && current.key === key && stillActive(current.info)) return current.info;
  const tried: { backend: string; reason: string }[] = [];
  const causes: unknown[] = [];
  for (const name of order) {
    try {
      const info = await start(name, options);
      current = { info, key };
      return info;
    } catch (error) {
      tried.push({ backend: name, reason: message(error) });
      causes.push(error);
    }
  }
  const cause = causes.length === 1 ? causes[0] : new AggregateError(causes, 'every backend failed');
  throw new BackendUnavailableError(tried, { cause });
}

/** The backend chosen by the last `initBackend`, or undefined if none ran or tfjs was switched since. */
export function currentBackend(): BackendInfo | undefined {
  return current !== undefined && stillActive(current.info) ? current.info : undefined;
}

/** A one-line description of a backend for reports, e.g. `native (wasm SIMD, llmedit kernel fixes, OpenBLAS 0.3.21)`. */
export function describeBackend(info: BackendInfo): string {
  const parts: string[] = [];
  if (info.simd !== undefined) parts.push(info.simd ? 'wasm SIMD' : 'wasm');
  if (info.kernelFixes) parts.push('llmedit kernel fixes');
  // OpenBLAS's configuration string starts with its name and version.
  if (info.blas !== undefined) parts.push(info.blas.description.split(' ').slice(0, 2).join(' '));
  if (info.nativeKernels !== undefined && 'library' in info.nativeKernels)
    parts.push('llmedit native kernels');
  return parts.length === 0 ? info.name : `${info.name} (${parts.join(', ')})`;
}
