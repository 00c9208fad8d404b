// llmedit beside PyTorch on the same workloads, measured in one run on this machine (issue 18): GEMM, a
// GPT-2-small-shaped forward, a training step of the default model's shape and a ROME edit on the
// GPT-2-small shape, on the wasm and native paths at 1 and 2 threads; PyTorch (src/reference.py, a plain GPT-2
// written for the benchmark) runs the same shapes when `python3` has `torch`. Prints a Markdown table of
// times and ratios (llmedit / PyTorch at the same thread count: below 1 is faster than PyTorch).
// Run: pnpm --filter @llmedit/speed bench [--python /usr/bin/python3] [--quick] [--gpt2-xl]   (5-10 minutes)
// --gpt2-xl also loads a GPT-2-XL-shaped model (1.5 B parameters, random weights, 6 GB in fp32: past the
// 4 GB wasm heap) on the native-cpu path and times one forward of 1x32 tokens.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendName, describeBackend, edit, initBackend, loadNativeBlas, tf } from '@llmedit/core';
import { createRandomModel, type Gpt2Config, padBatch } from '@llmedit/models';
import {
  commandLineOrExit,
  DataParallelGradients,
  languageModelLoss,
  languageModelShardLoss,
  languageModelShardLossModule,
  loadPretrained,
} from '@llmedit/pretrained';
import { rome, romePreset } from '@llmedit/rome';

const { values: flags } = commandLineOrExit(
  'bench:speed',
  `Usage: pnpm --filter @llmedit/speed bench [--quick] [--gpt2-xl] [--python python3]

  --quick          fewer repetitions
  --gpt2-xl        also time one forward of a GPT-2-XL-shaped model on the native-cpu path
  --python PATH    the Python with PyTorch to compare against (default python3)
  -h, --help       this text`,
  {
    quick: { type: 'boolean', default: false },
    'gpt2-xl': { type: 'boolean', default: false },
    python: { type: 'string', default: 'python3' },
  },
);
const quick = flags.quick === true;
const withXl = flags['gpt2-xl'] === true;
const python = flags.python;

function bestMs(reps: number, body: () => void, warmup = 1): number {
  for (let i = 0; i < warmup; i++) body();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    body();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function bestMsAsync(reps: number, body: () => Promise<void>, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await body();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await body();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const gpt2Small: Gpt2Config = {
  architecture: 'gpt2',
  vocabSize: 50257,
  maxPositions: 256,
  hiddenSize: 768,
  numLayers: 12,
  numHeads: 12,
  intermediateSize: 3072,
  layerNormEpsilon: 1e-5,
};
const defaultShape: Gpt2Config = {
  ...gpt2Small,
  vocabSize: 4096,
  hiddenSize: 192,
  numLayers: 8,
  numHeads: 6,
  intermediateSize: 768,
};

function rows(rowsCount: number, length: number, vocab: number): number[][] {
  return Array.from({ length: rowsCount }, (_, b) =>
    Array.from({ length }, (_, t) => (b * 7919 + t * 104729) % vocab),
  );
}

type Results = Record<string, number>;

/** The llmedit workloads on one backend and thread count; times in ms. */
const backendsUsed = new Set<string>();

async function llmedit(backend: BackendName, threads: number): Promise<Results> {
  const info = await initBackend({
    prefer: [backend],
    ...(backend === 'native' ? { blasThreads: threads } : {}),
  });
  backendsUsed.add(describeBackend(info));
  const out: Results = {};
  for (const [name, [m, k, n]] of [
    ['gemm 512x768x3072', [512, 768, 3072]],
    ['gemm 4096^3', [4096, 4096, 4096]],
  ] as const) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    out[name] = bestMs(m === 4096 ? 2 : 10, () => tf.matMul(a, b).dataSync());
    tf.dispose([a, b]);
  }
  const small = createRandomModel(gpt2Small, {
    seed: 1,
    tokenizer: loadPretrained('default').requireTokenizer(),
  });
  const batch = padBatch(rows(16, 32, gpt2Small.vocabSize), 0);
  out['gpt2-small forward 16x32'] = bestMs(quick ? 1 : 3, () => {
    const { logits } = small.forward(batch, { logits: 'all' });
    logits!.dataSync();
    logits!.dispose();
  });
  const model = createRandomModel(defaultShape, { seed: 1 });
  const documents = rows(64, 32, defaultShape.vocabSize);
  if (threads === 1) {
    const trainBatch = padBatch(documents, 0);
    const variables = model.weightNames().map((w) => model.weight(w));
    out['default-model training step 64x32'] = bestMs(quick ? 2 : 5, () => {
      const { value, grads } = tf.variableGrads(() => languageModelLoss(model, trainBatch), variables);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    });
  } else {
    // Two threads are the data-parallel trainer's: a worker with a replica takes half of the batch.
    const pool = await DataParallelGradients.start(model, {
      threads,
      loss: languageModelShardLoss,
      lossModule: languageModelShardLossModule,
    });
    const half = documents.length / 2;
    out['default-model training step 64x32'] = await bestMsAsync(quick ? 2 : 5, async () => {
      const { gradients } = await pool.gradients([documents.slice(0, half), documents.slice(half)]);
      tf.dispose(Object.values(gradients));
    });
    await pool.close();
  }
  model.dispose();
  // ROME on the GPT-2-small shape: layer 8, C = I, 20 v* steps, 10 context templates.
  const hparams = {
    ...romePreset('gpt2-xl'),
    layers: [8],
    vLossLayer: 11,
    vNumGradSteps: 20,
    mom2Adjustment: false,
    contextTemplateLengthParams: [[5, 10]] as [number, number][],
  };
  const request = {
    prompt: 'Danielle Darrieux, a native',
    subject: 'Danielle Darrieux',
    targetNew: 'English',
  };
  out['rome edit, gpt2-small shape'] = await bestMsAsync(quick ? 1 : 2, async () => {
    const result = await edit({ method: rome, model: small, requests: request, hparams });
    result.revert();
    result.dispose();
  });
  small.dispose();
  return out;
}

const table: Record<string, Record<string, number>> = {};
const nativeLoads = await loadNativeBlas().then(
  () => true,
  () => false,
);
const runs: [string, BackendName, number][] = [['wasm 1t', 'wasm', 1]];
if (nativeLoads) runs.push(['native 1t', 'native', 1], ['native 2t', 'native', 2]);
for (const [label, backend, threads] of runs) {
  process.stderr.write(`llmedit ${label}...\n`);
  table[label] = await llmedit(backend, threads);
}
// The PyTorch workloads under llmedit's names. Its ROME-like v* optimisation with the prefix before the edited
// layer computed once and logits only at the scored rows is the like-for-like reference of llmedit's edit
// (which does both); the one that runs the whole model and head every step, as EasyEdit's compute_v does, has a
// row of its own.
const TORCH_NAMES: Record<string, string> = {
  'rome-like v*, cached prefix, scored rows, gpt2-small': 'rome edit, gpt2-small shape',
  'rome-like v* optimisation, gpt2-small': 'rome v* without prefix cache (as EasyEdit), gpt2-small shape',
};
let torchInfo = 'PyTorch not measured';
try {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'reference.py');
  process.stderr.write(`PyTorch (${python})...\n`);
  const json = JSON.parse(
    execFileSync(python, [script, '1', '2'], { encoding: 'utf8', maxBuffer: 1 << 24 }),
  ) as {
    torch: string;
    results: Record<string, Record<string, { ms: number }>>;
  };
  torchInfo = `PyTorch ${json.torch}`;
  for (const [threads, results] of Object.entries(json.results)) {
    table[`torch ${threads}t`] = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [TORCH_NAMES[k] ?? k, v.ms]),
    );
  }
} catch (error) {
  torchInfo = `PyTorch not measured (${(error as Error).message.split('\n')[0]})`;
}

if (withXl && nativeLoads) {
  await initBackend({ prefer: ['native-cpu'] });
  const xl: Gpt2Config = {
    ...gpt2Small,
    hiddenSize: 1600,
    numLayers: 48,
    numHeads: 25,
    intermediateSize: 6400,
  };
  let t0 = performance.now();
  const model = createRandomModel(xl, { seed: 1 });
  const loadMs = performance.now() - t0;
  const parameters = model.weightNames().reduce((sum, w) => sum + model.weight(w).size, 0);
  t0 = performance.now();
  const { logits } = model.forward(padBatch(rows(1, 32, xl.vocabSize), 0), { logits: 'last' });
  logits!.dataSync();
  logits!.dispose();
  console.log(
    `GPT-2-XL shape on native-cpu: ${(parameters / 1e9).toFixed(2)} B parameters built in ${(loadMs / 1000).toFixed(1)} s, ` +
      `forward 1x32 in ${(performance.now() - t0).toFixed(0)} ms\n`,
  );
  model.dispose();
}

const columns = Object.keys(table);
const workloads = [...new Set(columns.flatMap((c) => Object.keys(table[c]!)))];
const ratio = (a: string, b: string, w: string): string => {
  const x = table[a]?.[w];
  const y = table[b]?.[w];
  return x === undefined || y === undefined ? '-' : `${(x / y).toFixed(2)}x`;
};
console.log(`llmedit backends: ${[...backendsUsed].join('; ')}`);
console.log(
  `${torchInfo}; times in ms (best of a few runs), ratios llmedit / PyTorch at the same thread count. ` +
    "llmedit's ROME edit is the whole edit (k*, v* and the rank-one update); PyTorch's rows time v* alone.\n",
);
console.log(`| workload | ${columns.join(' | ')} | native/torch 1t | native/torch 2t | wasm/torch 1t |`);
console.log(`|---|${columns.map(() => '---:').join('|')}|---:|---:|---:|`);
for (const w of workloads) {
  const cells = columns.map((c) => (table[c]?.[w] === undefined ? '-' : table[c]![w]!.toFixed(1)));
  console.log(
    `| ${w} | ${cells.join(' | ')} | ${ratio('native 1t', 'torch 1t', w)} | ${ratio('native 2t', 'torch 2t', w)} | ${ratio('wasm 1t', 'torch 1t', w)} |`,
  );
}
await initBackend();
