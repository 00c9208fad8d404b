/**
 * Tensor backend selection: native TensorFlow (optional peer `@tensorflow/tfjs-node`) when it loads, else
 * WebAssembly with llmedit's kernel fixes, else the plain JS cpu backend. `LLMEDIT_BACKEND` overrides the order.
 */
import { BackendUnavailableError } from './errors/index.js';
import {
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from './kernels/index.js';
import { tf } from './tf.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Every backend llmedit knows, in the default order of preference. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Environment variable with a backend name or a comma-separated order, e.g. `wasm` or `wasm,cpu`. */
export const BACKEND_ENV_VAR = 'LLMEDIT_BACKEND';

export interface BackendInfo {
  readonly name: BackendName;
  /** Whether llmedit's replacement kernels are active (wasm only). */
  readonly kernelFixes: boolean;
  /** wasm: whether the SIMD binary runs. */
  readonly simd?: boolean;
  /** wasm: threads of the wasm module (1 in Node with stock tfjs). */
  readonly threads?: number;
}

export interface InitBackendOptions {
  /** Order to try; empty or absent means `BACKEND_NAMES`. `LLMEDIT_BACKEND` takes precedence. */
  readonly prefer?: readonly BackendName[];
  /** Install the wasm kernel fixes (default true). `false` runs stock tfjs-wasm kernels, e.g. to compare. */
  readonly kernelFixes?: boolean;
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
    names = prefer !== undefined && prefer.length > 0 ? prefer : BACKEND_NAMES;
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

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] || error.name : String(error);
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
  if (kernelFixes) installWasmKernelFixes();
  else uninstallWasmKernelFixes();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return { name: 'wasm', kernelFixes, simd, threads: wasm.getThreadsCount() };
}

async function start(name: BackendName, kernelFixes: boolean): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow':
      return startTensorflow();
    case 'wasm':
      return startWasm(kernelFixes);
    case 'cpu':
      await switchTo('cpu');
      return { name: 'cpu', kernelFixes: false };
  }
}

function stillActive(info: BackendInfo): boolean {
  return (
    tf.getBackend() === info.name && (info.name !== 'wasm' || wasmKernelFixesInstalled() === info.kernelFixes)
  );
}

/**
 * Starts the first backend of the order that works and makes it tfjs's current backend. The order is
 * `LLMEDIT_BACKEND` (one name or a comma list) if set, else `options.prefer`, else tensorflow, wasm, cpu.
 * A repeated call with the same order and options returns the same info without work, unless the backend
 * was changed in between. Throws `BackendUnavailableError` listing each failure when none starts.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const order = backendOrder(options.prefer);
  const kernelFixes = options.kernelFixes ?? true;
  const key = `${order.join(',')}|${kernelFixes}`;
  if (current !== undefined && current.key === key && stillActive(current.info)) return current.info;
  const tried: { backend: string; reason: string }[] = [];
  const causes: unknown[] = [];
  for (const name of order) {
    try {
      const info = await start(name, kernelFixes);
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
