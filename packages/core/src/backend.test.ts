import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_ENV_VAR, currentBackend, initBackend } from './backend.js';
import { BackendUnavailableError, LlmeditError } from './errors/index.js';
import { wasmKernelFixesInstalled } from './kernels/index.js';
import { tf } from './tf.js';

const savedEnv = process.env[BACKEND_ENV_VAR];

afterEach(() => {
  if (savedEnv === undefined) delete process.env[BACKEND_ENV_VAR];
  else process.env[BACKEND_ENV_VAR] = savedEnv;
});

async function tfjsNodeLoads(): Promise<boolean> {
  const spec = '@tensorflow/tfjs-node';
  return import(/* @vite-ignore */ spec).then(
    () => true,
    () => false,
  );
}

describe('initBackend', () => {
  it('starts wasm with the kernel fixes', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const info = await initBackend({ prefer: ['wasm'] });
    expect(info).toEqual({
      name: 'wasm',
      kernelFixes: true,
      simd: expect.any(Boolean),
      threads: expect.any(Number),
    });
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmKernelFixesInstalled()).toBe(true);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    expect(currentBackend()).toBe(info);
  });

  it('is idempotent: a repeated call returns the same info', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const first = await initBackend({ prefer: ['wasm'] });
    const second = await initBackend({ prefer: ['wasm'] });
    expect(second).toBe(first);
  });

  it('starts wasm with stock kernels on request, and back', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const stock = await initBackend({ prefer: ['wasm'], kernelFixes: false });
    expect(stock).toMatchObject({ name: 'wasm', kernelFixes: false });
    expect(wasmKernelFixesInstalled()).toBe(false);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    const fixed = await initBackend({ prefer: ['wasm'] });
    expect(fixed.kernelFixes).toBe(true);
    expect(wasmKernelFixesInstalled()).toBe(true);
  });

  it('takes the first backend of the order and notices when tfjs was switched behind its back', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const info = await initBackend({ prefer: ['cpu', 'wasm'] });
    expect(info).toEqual({ name: 'cpu', kernelFixes: false });
    expect(tf.getBackend()).toBe('cpu');
    await tf.setBackend('wasm');
    expect(currentBackend()).toBeUndefined();
    // The same call again notices the switch and restores cpu.
    expect((await initBackend({ prefer: ['cpu', 'wasm'] })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('lets LLMEDIT_BACKEND override the preference (one name or a list)', async () => {
    process.env[BACKEND_ENV_VAR] = 'wasm';
    expect((await initBackend({ prefer: ['cpu'] })).name).toBe('wasm');
    process.env[BACKEND_ENV_VAR] = ' CPU , wasm ';
    expect((await initBackend({ prefer: ['wasm'] })).name).toBe('cpu');
    process.env[BACKEND_ENV_VAR] = 'wasm';
    expect((await initBackend()).name).toBe('wasm');
  });

  it('rejects unknown backend names with a typed error', async () => {
    process.env[BACKEND_ENV_VAR] = 'wsam,cpu';
    const error = await initBackend().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(LlmeditError.isInstance(error) && error.code).toBe('BACKEND_UNAVAILABLE');
    expect((error as BackendUnavailableError).tried).toEqual([
      { backend: 'wsam', reason: expect.stringMatching(/unknown/) },
    ]);
    delete process.env[BACKEND_ENV_VAR];
    await expect(initBackend({ prefer: ['gpu' as 'cpu'] })).rejects.toThrow(/gpu/);
  });

  it('skips tensorflow when @tensorflow/tfjs-node does not load, and says why when it is the only choice', async () => {
    delete process.env[BACKEND_ENV_VAR];
    if (await tfjsNodeLoads()) {
      expect((await initBackend({ prefer: ['tensorflow', 'wasm'] })).name).toBe('tensorflow');
      return;
    }
    expect((await initBackend({ prefer: ['tensorflow', 'wasm'] })).name).toBe('wasm');
    const error = await initBackend({ prefer: ['tensorflow'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const { tried } = error as BackendUnavailableError;
    expect(tried).toHaveLength(1);
    expect(tried[0]).toMatchObject({
      backend: 'tensorflow',
      reason: expect.stringContaining('@tensorflow/tfjs-node'),
    });
    expect((error as Error).cause).toBeInstanceOf(Error);
    // The failed attempt left the previous backend in place.
    expect(tf.getBackend()).toBe('wasm');
  });

  it('keeps the cpu backend on stock kernels while the wasm fixes are installed', async () => {
    delete process.env[BACKEND_ENV_VAR];
    await initBackend({ prefer: ['wasm'] });
    await initBackend({ prefer: ['cpu'] });
    const y = tf.tidy(() =>
      tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]), true, true),
    );
    expect(y.arraySync()).toEqual([
      [23, 31],
      [34, 46],
    ]);
    y.dispose();
    expect(tf.getKernel('BatchMatMul', 'cpu').backendName).toBe('cpu');
  });
});
