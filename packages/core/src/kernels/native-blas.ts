/**
 * A system BLAS (OpenBLAS) called through the prebuilt FFI package `koffi`, for Node only: no compiler and no
 * download at install, and nothing happens when either is missing (the wasm kernels stay in charge).
 * `cblas_sgemm` runs at 5-6x tfjs-wasm's XNNPACK per core on the project machine (reference/perf.md).
 */

/** Where the library is looked up, in order; `LLMEDIT_BLAS_LIBRARY` (a path or a name) goes first. */
export const BLAS_LIBRARY_ENV_VAR = 'LLMEDIT_BLAS_LIBRARY';
const BLAS_LIBRARY_NAMES = [
  'libopenblas.so.0',
  'libopenblas.so',
  'libopenblas.dylib',
  '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
  '/usr/local/opt/openblas/lib/libopenblas.dylib',
  'libopenblas.dll',
];

// In a const so that bundlers do not try to resolve it for the browser build.
const KOFFI = 'koffi';

/** C-order sgemm on float32 arrays (typed-array views are passed to C as pointers, without a copy). */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

export interface NativeBlas {
  /** The library name or path that loaded. */
  readonly library: string;
  /** What the library says it is (OpenBLAS: version, build options and the core it tuned for). */
  readonly description: string;
  readonly sgemm: Sgemm;
  /** Threads each sgemm may use; process-wide (worker threads share the library). */
  setThreads(threads: number): void;
}

// CBLAS enums (cblas.h).
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

export interface Koffi {
  load(path: string): {
    func(signature: string): (...args: unknown[]) => unknown;
  };
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] || error.name : String(error);
}

/** The optional FFI package, or a rejection saying it is not installed. */
export async function importKoffi(): Promise<Koffi> {
  try {
    const module = (await import(/* @vite-ignore */ KOFFI)) as { default?: Koffi } & Koffi;
    return module.default ?? module;
  } catch (error) {
    throw new Error(`the optional dependency ${KOFFI} is not installed: ${message(error)}`, { cause: error });
  }
}

async function load(fromEnv: string | undefined): Promise<NativeBlas> {
  const koffi = await importKoffi();
  const candidates = fromEnv ? [fromEnv] : BLAS_LIBRARY_NAMES;
  const failures: string[] = [];
  for (const library of candidates) {
    let lib: ReturnType<Koffi['load']>;
    try {
      lib = koffi.load(library);
    } catch (error) {
      failures.push(`${library}: ${message(error)}`);
      continue;
    }
    const gemm = lib.func(
      'void cblas_sgemm(int, int, int, int, int, int, float, const float*, int, const float*, int, float, _Inout_ float*, int)',
    );
    const setThreads = lib.func('void openblas_set_num_threads(int)');
    const config = lib.func('const char* openblas_get_config()');
    const sgemm: Sgemm = (transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) => {
      gemm(
        ROW_MAJOR,
        transA ? TRANS : NO_TRANS,
        transB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        1,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      );
    };
    exitExplicitlyAtEnd();
    return {
      library,
      description: String(config()),
      sgemm,
      setThreads: (threads) => {
        if (!Number.isInteger(threads) || threads < 1)
          throw new RangeError('BLAS threads must be a positive integer');
        setThreads(threads);
      },
    };
  }
  const hint = fromEnv
    ? `${BLAS_LIBRARY_ENV_VAR}=${fromEnv} did not load`
    : 'install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-openmp; macOS: brew install openblas) ' +
      `or point ${BLAS_LIBRARY_ENV_VAR} at it`;
  throw new Error(`no OpenBLAS library loaded (${hint}): ${failures.join('; ')}`);
}

let exitHooked = false;

/**
 * A Node process that ran multi-threaded OpenBLAS and then ends by itself (event loop empty) crashes with
 * SIGSEGV (exit code 139) in Node's teardown, after its output is written (measured: Node 20.20, Debian's
 * libopenblas0-openmp 0.3.21, one 256 x 256 sgemm; with one BLAS thread, or ending with process.exit(), it
 * exits cleanly). So once the library is loaded, the natural end becomes an explicit exit with the same code;
 * 'beforeExit' only fires when nothing is left to run, and not at all for explicit exits or crashes.
 */
function exitExplicitlyAtEnd(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('beforeExit', (code) => process.exit(code));
}

/**
 * Loads the system OpenBLAS (once per thread and library choice); rejects with the reason when Node, koffi or
 * the library is missing.
 */
export const loadNativeBlas: () => Promise<NativeBlas> = loaderPerLibraryChoice(
  'native BLAS',
  BLAS_LIBRARY_ENV_VAR,
  load,
);

/**
 * A loader for a native library that runs `load` once per library choice (`envVar`'s value, or none: it can
 * change between calls, e.g. in tests) and rejects outside Node.
 */
export function loaderPerLibraryChoice<T>(
  what: string,
  envVar: string,
  load: (fromEnv: string | undefined) => Promise<T>,
): () => Promise<T> {
  const loaded = new Map<string, Promise<T>>();
  return () => {
    if (typeof process === 'undefined' || process.versions?.node === undefined)
      return Promise.reject(new Error(`${what} needs Node.js`));
    const fromEnv = process.env[envVar]?.trim() || undefined;
    let promise = loaded.get(fromEnv ?? '');
    if (promise === undefined) {
      promise = load(fromEnv);
      loaded.set(fromEnv ?? '', promise);
    }
    return promise;
  };
}
