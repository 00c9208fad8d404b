/**
 * `pnpm --filter @llmedit/core bench`: tfjs-wasm matmul throughput with the stock kernels and with llmedit's
 * kernel fixes, side by side in one process (reference/perf.md section 3). About 1-2 minutes, most of it the
 * stock LM head; `--quick` skips that one.
 *
 * Times are the minimum over a few runs of the kernel alone (wasm kernels run synchronously, so no read-back).
 */
import { initBackend } from '../src/backend.js';
import { frozenMatMul } from '../src/kernels/index.js';
import { tf } from '../src/tf.js';

type Mode = 'stock' | 'fixed';

interface Case {
  readonly name: string;
  readonly flops: number;
  /** Skipped for stock under --quick. */
  readonly slowStock?: boolean;
  /** Modes to run; both by default. */
  readonly modes?: readonly Mode[];
  readonly run: () => tf.Tensor;
}

const quick = process.argv.includes('--quick');
// Stop repeating a case once this much time went into it (the first run always counts).
const BUDGET_MS = 4000;
const MAX_REPS = 5;

async function useKernels(mode: Mode): Promise<void> {
  await initBackend({ prefer: ['wasm'], kernelFixes: mode === 'fixed' });
}

function timeIt(run: () => tf.Tensor): number {
  // Warm-up: XNNPACK packs a persistent weight on first use and caches it by tensor id.
  const first = performance.now();
  tf.dispose(run());
  const firstMs = performance.now() - first;
  if (firstMs > BUDGET_MS / 2) return firstMs;
  let best = Number.POSITIVE_INFINITY;
  let spent = 0;
  for (let rep = 0; rep < MAX_REPS && spent < BUDGET_MS; rep++) {
    const t0 = performance.now();
    tf.dispose(run());
    const ms = performance.now() - t0;
    best = Math.min(best, ms);
    spent += ms;
  }
  return best;
}

function randn(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', 42);
}

function gflops(m: number, k: number, n: number, batch = 1): number {
  return 2 * batch * m * k * n;
}

const fmt = (ms: number | undefined, flops: number): [string, string] =>
  ms === undefined ? ['-', '-'] : [ms.toFixed(1), (flops / ms / 1e6).toFixed(1)];

async function main(): Promise<void> {
  const info = await initBackend({ prefer: ['wasm'] });
  console.log(
    `tfjs ${tf.version.tfjs}, backend ${info.name} (simd ${info.simd}, threads ${info.threads}), node ${process.version}`,
  );

  // Inputs are created once, on wasm; the kernels are swapped between runs.
  const x = randn([512, 768]);
  const w = randn([768, 3072]);
  const sq = randn([768, 768]);
  const dy = randn([512, 3072]);
  const wT = tf.transpose(w);
  const h = randn([512, 768]);
  const wte = randn([50257, 768]);
  const wteT = tf.transpose(wte);
  const q = randn([192, 32, 64]);
  const kk = randn([192, 32, 64]);
  const att = randn([192, 32, 32]);
  const dySmall = randn([32, 3072]);

  const cases: Case[] = [
    { name: 'plain x·W [512,768]x[768,3072]', flops: gflops(512, 768, 3072), run: () => tf.matMul(x, w) },
    { name: 'square [768,768]x[768,768]', flops: gflops(768, 768, 768), run: () => tf.matMul(sq, sq) },
    {
      name: 'dW = xᵀ·dy [512,768]ᵀx[512,3072]',
      flops: gflops(768, 512, 3072),
      run: () => tf.matMul(x, dy, true, false),
    },
    {
      name: 'dx = dy·Wᵀ [512,3072]x[768,3072]ᵀ',
      flops: gflops(512, 3072, 768),
      run: () => tf.matMul(dy, w, false, true),
    },
    {
      name: 'LM head h·wteᵀ [512,768]x[50257,768]ᵀ',
      flops: gflops(512, 768, 50257),
      slowStock: true,
      run: () => tf.matMul(h, wte, false, true),
    },
    {
      name: 'attention q·kᵀ [192,32,64]x[192,32,64]ᵀ',
      flops: gflops(32, 64, 32, 192),
      run: () => tf.matMul(q, kk, false, true),
    },
    {
      name: 'attention att·v [192,32,32]x[192,32,64]',
      flops: gflops(32, 32, 64, 192),
      run: () => tf.matMul(att, kk),
    },
    {
      name: 'gradients of x·W (dx and dW, one tape)',
      flops: 2 * gflops(512, 768, 3072),
      run: () => {
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b), dy)))([
          x,
          w,
        ]);
        tf.dispose(gw);
        return gx as tf.Tensor;
      },
    },
    {
      name: 'frozen dx = dy·(resident Wᵀ) via frozenMatMul grad',
      flops: gflops(512, 3072, 768) + gflops(512, 768, 3072),
      modes: ['fixed'],
      run: () =>
        tf.grad((a: tf.Tensor) =>
          tf.sum(tf.mul(frozenMatMul(a as tf.Tensor2D, w as tf.Tensor2D, wT as tf.Tensor2D), dy)),
        )(x),
    },
    {
      name: 'LM head with resident wteᵀ [512,768]x[768,50257]',
      flops: gflops(512, 768, 50257),
      modes: ['fixed'],
      run: () => tf.matMul(h, wteT),
    },
    {
      name: 'small dx = dy·Wᵀ [32,3072]x[768,3072]ᵀ',
      flops: gflops(32, 3072, 768),
      run: () => tf.matMul(dySmall, w, false, true),
    },
  ];

  const header = ['matmul', 'stock ms', 'GFLOP/s', 'fixed ms', 'GFLOP/s', 'speed-up'];
  const rows: string[][] = [];
  for (const c of cases) {
    const times: Partial<Record<Mode, number>> = {};
    for (const mode of c.modes ?? (['stock', 'fixed'] as const)) {
      if (mode === 'stock' && quick && c.slowStock) continue;
      await useKernels(mode);
      times[mode] = timeIt(c.run);
    }
    const speedup =
      times.stock !== undefined && times.fixed !== undefined
        ? `${(times.stock / times.fixed).toFixed(1)}x`
        : '-';
    const row = [c.name, ...fmt(times.stock, c.flops), ...fmt(times.fixed, c.flops), speedup];
    rows.push(row);
    console.log(row.join(' | '));
  }

  const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((wd) => '-'.repeat(wd + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));

  tf.dispose([x, w, sq, dy, wT, h, wte, wteT, q, kk, att, dySmall]);
  await initBackend({ prefer: ['wasm'] });
}

await main();
