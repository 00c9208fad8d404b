import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { type MatMulPlan, planBatchMatMul } from './batch-mat-mul.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from './install.js';
import {
  CASES,
  type Case,
  FUSED_CASES,
  forwardAndGrads,
  fusedForwardAndGrads,
  fusedSameBatch,
  productUnderHeapChurn,
  shapes,
} from './mat-mul-cases.js';
import { randn, relMaxDiff, runOn } from './test-helpers.js';

const TOL = 1e-4;

function planOf(c: Case): MatMulPlan {
  const batchA = c.outerA.reduce((x, y) => x * y, 1);
  const batchB = c.outerB.reduce((x, y) => x * y, 1);
  return planBatchMatMul({
    batchA,
    batchB,
    m: c.m,
    k: c.k,
    n: c.n,
    transposeA: c.transposeA,
    transposeB: c.transposeB,
  });
}

function planName(p: MatMulPlan): string {
  return p.kind === 'rows' ? `rows:${p.route}` : p.kind;
}

describe('wasm BatchMatMul fast path', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: ['wasm'] });
    expect(info).toMatchObject({ name: 'wasm', kernelFixes: true });
  });

  it('plans every route the kernel has on the cases below', () => {
    const seen = new Set(CASES.map((c) => planName(planOf(c))));
    expect([...seen].sort()).toEqual(
      [
        'loop',
        'rows:plain',
        'rows:swap',
        'rows:swap-both',
        'rows:transpose-a',
        'rows:transpose-b',
        'rows:transpose-both',
        'stock',
      ].sort(),
    );
  });

  it('routes the gpt2-small products of perf.md to XNNPACK', () => {
    const d = { batchA: 1, batchB: 1 };
    // LM head h·wteᵀ: transposing the 512-row side is far cheaper than transposing 50257×768.
    expect(planBatchMatMul({ ...d, m: 512, k: 768, n: 50257, transposeA: false, transposeB: true })).toEqual({
      kind: 'rows',
      route: 'swap',
    });
    expect(planBatchMatMul({ ...d, m: 768, k: 512, n: 3072, transposeA: true, transposeB: false })).toEqual({
      kind: 'rows',
      route: 'transpose-a',
    });
    expect(planBatchMatMul({ ...d, m: 768, k: 768, n: 768, transposeA: false, transposeB: false })).toEqual({
      kind: 'stock',
    });
    // Attention q·kᵀ with batch B·H: a loop of XNNPACK calls measured 3x faster than the stock scalar loop.
    const att = { batchA: 192, batchB: 192, m: 32, k: 64, n: 32 };
    expect(planBatchMatMul({ ...att, transposeA: false, transposeB: true }).kind).toBe('loop');
    // Tiny per-batch products stay on the stock loop, whose per-call overhead is lower.
    expect(planBatchMatMul({ ...att, m: 4, k: 4, n: 4, transposeA: false, transposeB: false }).kind).toBe(
      'stock',
    );
    // Broadcast weight [B,T,d]x[d,k]: folded into one [B·T,d]x[d,k] product.
    expect(
      planBatchMatMul({
        batchA: 16,
        batchB: 1,
        m: 32,
        k: 768,
        n: 3072,
        transposeA: false,
        transposeB: false,
      }),
    ).toEqual({ kind: 'rows', route: 'plain' });
  });

  it.each(CASES.map((c, i) => [i, c] as const))('case %i matches cpu forward and gradients', async (i, c) => {
    const fn = forwardAndGrads(c, 1000 + 7 * i);
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    expect(wasm.leakedTensors).toBe(0);
    expect(wasm.leakedDataIds).toBe(0);
    const label = `${planName(planOf(c))} ${JSON.stringify(shapes(c))} tA=${c.transposeA} tB=${c.transposeB}`;
    expect(wasm.values.length).toBe(c.outerA.join() === c.outerB.join() ? 3 : 1);
    for (const [j, v] of wasm.values.entries()) {
      expect(relMaxDiff(v, cpu.values[j] as Float32Array), `${label} output ${j}`).toBeLessThan(TOL);
    }
  });

  it('handles the attention shape [24,32,64]x[24,32,64]^T like cpu', async () => {
    const c: Case = { outerA: [24], outerB: [24], m: 32, k: 64, n: 32, transposeA: false, transposeB: true };
    expect(planOf(c).kind).toBe('loop');
    const fn = forwardAndGrads(c, 77);
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    for (let j = 0; j < 3; j++) expect(relMaxDiff(wasm.values[j]!, cpu.values[j]!)).toBeLessThan(TOL);
  });

  it('gives the same product for a weight reused across routes (XNNPACK cache keyed by tensor id)', async () => {
    // The same w is the packed operand for x·w and a transposed operand elsewhere; results must not mix.
    const wv = randn(64 * 17, 5);
    const xv = randn(3 * 64, 6);
    const yv = randn(3 * 17, 7);
    const fn = (): tf.Tensor[] => {
      const w = tf.tensor2d(wv, [64, 17]);
      const x = tf.tensor2d(xv, [3, 64]);
      const y = tf.tensor2d(yv, [3, 17]);
      return [tf.matMul(x, w), tf.matMul(y, w, false, true), tf.matMul(x, w), tf.matMul(w, y, false, true)];
    };
    const wasm = await runOn('wasm', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('wasm');
    for (let j = 0; j < 4; j++) expect(relMaxDiff(wasm.values[j]!, cpu.values[j]!)).toBeLessThan(TOL);
  });

  it('never frees or overwrites the operands it views (heap stays intact under churn)', () => {
    // The loop registers views inside A, B and the output; dropping them must not release the blocks.
    expect(
      planBatchMatMul({ batchA: 1, batchB: 8, m: 16, k: 32, n: 24, transposeA: false, transposeB: false })
        .kind,
    ).toBe('loop');
    expect(productUnderHeapChurn()).toEqual({ operandIntact: true, rerunDiff: 0 });
  });

  it('still reports mismatched inner dimensions', () => {
    expect(() => tf.tidy(() => tf.matMul(tf.zeros([3, 4]), tf.zeros([5, 6]), false, true))).toThrow(/inner/);
  });
});

describe('wasm _FusedMatMul fast path', () => {
  it.each(FUSED_CASES.map((c, i) => [i, c] as const))(
    'case %i matches cpu forward and gradients',
    async (i, c) => {
      const fn = fusedForwardAndGrads(c, i);
      const sameBatch = fusedSameBatch(c);
      const wasm = await runOn('wasm', fn);
      const cpu = await runOn('cpu', fn);
      await tf.setBackend('wasm');
      expect(wasm.leakedTensors).toBe(0);
      expect(wasm.leakedDataIds).toBe(0);
      expect(wasm.values.length).toBe(sameBatch ? (c.bias ? 4 : 3) : 1);
      for (const [j, v] of wasm.values.entries())
        expect(relMaxDiff(v, cpu.values[j]!), `output ${j}`).toBeLessThan(TOL);
    },
  );
});

describe('installWasmKernelFixes', () => {
  it('replaces and restores the stock wasm kernels exactly, idempotently', async () => {
    await initBackend({ prefer: ['wasm'] });
    uninstallWasmKernelFixes();
    const stock = tf.getKernel('BatchMatMul', 'wasm');
    const stockIdentity = tf.getKernel('Identity', 'wasm');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    installWasmKernelFixes();
    installWasmKernelFixes();
    expect(wasmKernelFixesInstalled()).toBe(true);
    expect(tf.getKernel('BatchMatMul', 'wasm')).not.toBe(stock);
    expect(tf.getKernel('Identity', 'wasm')).not.toBe(stockIdentity);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    // The cpu backend is untouched.
    expect(tf.getKernel('BatchMatMul', 'cpu').backendName).toBe('cpu');
    uninstallWasmKernelFixes();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(stock);
    expect(tf.getKernel('Identity', 'wasm')).toBe(stockIdentity);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    installWasmKernelFixes();
  });
});
