import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentBackend, initBackend } from '../backend.js';
import { BackendUnavailableError } from '../errors/index.js';
import { tf } from '../tf.js';
import {
  nativeBlasKernelsInstalled,
  uninstallNativeBlasKernels,
  wasmKernelFixesInstalled,
} from './install.js';
import {
  CASES,
  FUSED_CASES,
  forwardAndGrads,
  fusedForwardAndGrads,
  productUnderHeapChurn,
  shapes,
} from './mat-mul-cases.js';
import { BLAS_LIBRARY_ENV_VAR, loadNativeBlas } from './native-blas.js';
import { type Run, randn, relMaxDiff, runOn } from './test-helpers.js';

// BLAS sums in another order than the cpu backend's loop; products of up to 129 terms agree to this.
const TOL = 1e-4;

// The native path is optional: where OpenBLAS is not installed these tests are skipped and say why
// (CI installs it, so both paths are tested there).
const blasProblem = await loadNativeBlas().then(
  () => undefined,
  (error: Error) => error.message,
);
if (blasProblem !== undefined) console.warn(`native BLAS tests skipped: ${blasProblem}`);

describe.skipIf(blasProblem !== undefined)('native BLAS matmul kernels on wasm', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: ['native'] });
    expect(info).toMatchObject({ name: 'native', kernelFixes: true, blas: { library: expect.any(String) } });
    expect(nativeBlasKernelsInstalled()).toBe(true);
  });
  afterAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  it.each(CASES.map((c, i) => [i, c] as const))(
    'BatchMatMul case %i matches cpu forward and gradients',
    async (i, c) => {
      const fn = forwardAndGrads(c, 1000 + 7 * i);
      const native = await runOn('wasm', fn);
      const cpu = await runOn('cpu', fn);
      await tf.setBackend('wasm');
      expect(native.leakedTensors).toBe(0);
      expect(native.leakedDataIds).toBe(0);
      const label = `${JSON.stringify(shapes(c))} tA=${c.transposeA} tB=${c.transposeB}`;
      for (const [j, v] of native.values.entries())
        expect(relMaxDiff(v, cpu.values[j]!), `${label} output ${j}`).toBeLessThan(TOL);
    },
  );

  it.each(FUSED_CASES.map((c, i) => [i, c] as const))('_FusedMatMul case %i matches cpu', async (i, c) => {
    const fn = fusedForwardAndGrads(c, i);
    const native = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(native.leakedTensors).toBe(0);
    expect(native.leakedDataIds).toBe(0);
    for (const [j, v] of native.values.entries())
      expect(relMaxDiff(v, cpu.values[j]!), `output ${j}`).toBeLessThan(TOL);
  });

  it('agrees with the wasm kernels on a transformer-sized product, and runs it natively', async () => {
    const a = randn(200 * 192, 3);
    const w = randn(192 * 768, 4);
    const fn = () => [tf.matMul(tf.tensor2d(a, [200, 192]), tf.tensor2d(w, [192, 768]))];
    const native = await runOn('wasm', fn);
    uninstallNativeBlasKernels();
    expect(currentBackend()).toBeUndefined();
    const wasm = await runOn('wasm', fn);
    expect(wasmKernelFixesInstalled()).toBe(true);
    await initBackend({ prefer: ['native'] });
    expect(relMaxDiff(native.values[0]!, wasm.values[0]!)).toBeLessThan(TOL);
    // Not bit-identical: proof that the product did not come from the wasm kernel.
    expect(relMaxDiff(native.values[0]!, wasm.values[0]!)).toBeGreaterThan(0);
  });

  it('keeps the heap intact when products allocate and free around it', () => {
    expect(productUnderHeapChurn()).toEqual({ operandIntact: true, rerunDiff: 0 });
  });

  it('switching to plain wasm removes the native kernels and keeps the fixes', async () => {
    const wasm = await initBackend({ prefer: ['wasm'] });
    expect(wasm.name).toBe('wasm');
    expect(nativeBlasKernelsInstalled()).toBe(false);
    expect(wasmKernelFixesInstalled()).toBe(true);
    const native = await initBackend({ prefer: ['native'] });
    expect(native.name).toBe('native');
    expect(nativeBlasKernelsInstalled()).toBe(true);
  });
});

describe.skipIf(blasProblem !== undefined)('native BLAS matmul kernels on cpu (native-cpu)', () => {
  afterAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  /** The same computation on the cpu backend's own kernels and on native-cpu. */
  async function both(fn: () => tf.Tensor[]): Promise<{ cpu: Run; native: Run }> {
    await initBackend({ prefer: ['cpu'] });
    const cpu = await runOn('cpu', fn);
    const info = await initBackend({ prefer: ['native-cpu'] });
    expect(info).toMatchObject({ name: 'native-cpu', blas: { library: expect.any(String) } });
    expect(nativeBlasKernelsInstalled('cpu')).toBe(true);
    const native = await runOn('cpu', fn);
    return { cpu, native };
  }

  it.each(CASES.filter((_, i) => i % 3 === 0).map((c, i) => [i, c] as const))(
    'BatchMatMul case %i matches the cpu kernels, forward and gradients',
    async (i, c) => {
      const { cpu, native } = await both(forwardAndGrads(c, 3000 + 7 * i));
      expect(native.leakedTensors).toBe(0);
      expect(native.leakedDataIds).toBe(0);
      for (const [j, v] of native.values.entries())
        expect(relMaxDiff(v, cpu.values[j]!), `${JSON.stringify(shapes(c))} output ${j}`).toBeLessThan(TOL);
    },
  );

  it.each(FUSED_CASES.map((c, i) => [i, c] as const))(
    '_FusedMatMul case %i matches the cpu kernels',
    async (i, c) => {
      const { cpu, native } = await both(fusedForwardAndGrads(c, i));
      for (const [j, v] of native.values.entries())
        expect(relMaxDiff(v, cpu.values[j]!), `output ${j}`).toBeLessThan(TOL);
    },
  );

  it('plain cpu takes its own kernels back', async () => {
    await initBackend({ prefer: ['native-cpu'] });
    await initBackend({ prefer: ['cpu'] });
    expect(nativeBlasKernelsInstalled('cpu')).toBe(false);
    expect(currentBackend()?.name).toBe('cpu');
  });
});

describe('native backend without a BLAS', () => {
  it('fails with the reason and leaves the backend as it was', async () => {
    await initBackend({ prefer: ['wasm'] });
    const saved = process.env[BLAS_LIBRARY_ENV_VAR];
    process.env[BLAS_LIBRARY_ENV_VAR] = '/nonexistent/libopenblas.so';
    try {
      const error = await initBackend({ prefer: ['native'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect((error as BackendUnavailableError).tried).toEqual([
        {
          backend: 'native',
          reason: expect.stringContaining('LLMEDIT_BLAS_LIBRARY=/nonexistent/libopenblas.so'),
        },
      ]);
      // The default order falls through to wasm.
      expect((await initBackend({ prefer: ['native', 'wasm'] })).name).toBe('wasm');
    } finally {
      if (saved === undefined) delete process.env[BLAS_LIBRARY_ENV_VAR];
      else process.env[BLAS_LIBRARY_ENV_VAR] = saved;
    }
    expect(currentBackend()?.name).toBe('wasm');
    expect(nativeBlasKernelsInstalled()).toBe(false);
  });
});

describe.skipIf(blasProblem !== undefined)('a process that used native BLAS', () => {
  it('ends with its own exit code, not a crash in teardown (139 without the beforeExit hook)', () => {
    // A child process, since the crash is in Node's teardown: a product on the native backend, then the
    // event loop runs dry (code 0) or the script sets process.exitCode (code 3).
    const backend = fileURLToPath(new URL('../backend.ts', import.meta.url));
    const tfModule = fileURLToPath(new URL('../tf.ts', import.meta.url));
    const script = `
      const { initBackend } = await import(${JSON.stringify(backend)});
      const { tf } = await import(${JSON.stringify(tfModule)});
      const info = await initBackend({ prefer: ['native'] });
      const a = tf.randomNormal([256, 256]);
      console.log(info.name, tf.matMul(a, a).dataSync().length);
      if (process.argv.includes('code')) process.exitCode = 3;`;
    for (const [arg, code] of [
      ['plain', 0],
      ['code', 3],
    ] as const) {
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--conditions=@llmedit/source', '--input-type=module', '-e', script, arg],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(child.stdout.trim(), child.stderr).toBe('native 65536');
      expect({ status: child.status, signal: child.signal }).toEqual({ status: code, signal: null });
    }
  });
});
