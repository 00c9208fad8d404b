import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { currentBackend, type EditProgress, InvalidRequestError, initBackend } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import { type CheckpointName, loadPretrained } from '../checkpoints.js';
import { runCommandLine } from '../cli/command-line.js';
import { parseTrainArtifactArgs, type TrainArtifactArgs, trainArtifactUsage } from './artifact-args.js';
import { ProgressBar } from './progress.js';

/** What a method package's `train` script supplies; the command line, model, data and progress are shared. */
export interface ArtifactTraining<H extends { trainingDatasets: readonly ('zsre' | 'counterfact')[] }, A> {
  /** The method's name for the log line ('MEND'). */
  readonly what: string;
  /** The package folder: artifacts go to `<packageDir>/artifacts/<model>` unless `--out` says otherwise. */
  readonly packageDir: string;
  /** Per-model presets (`--set` overrides go over the model's one). */
  readonly presets: Readonly<Record<string, unknown>>;
  readonly parse: (values: unknown) => H;
  /** Extra words for the log line (the edited layers). */
  readonly describe?: (hparams: H) => string;
  readonly train: (
    model: CausalLM,
    requests: ReturnType<typeof loadSplit>,
    hparams: H,
    context: { seed: number; onProgress: (progress: EditProgress) => void },
  ) => Promise<A>;
  readonly save: (artifact: A, dir: string) => unknown;
  readonly report: (artifact: A) => unknown;
  readonly dispose: (artifact: A) => void;
}

/**
 * The `train` command of the methods with a trained artifact (SERAC, MEND, KE): `--model default --out DIR
 * --seed 0 --set key=value ...`; trains on the training splits the hyperparameters name, one progress bar
 * per stage, saves the artifact and prints its training report.
 */
export async function runArtifactTraining<
  H extends { trainingDatasets: readonly ('zsre' | 'counterfact')[] },
  A,
>(spec: ArtifactTraining<H, A>, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // The package folder is named after the package (packages/mend is @llmedit/mend).
  const usage = trainArtifactUsage(basename(spec.packageDir), spec.what);
  await runCommandLine(
    usage,
    () => parseArtifactCommand(spec, argv),
    (args) => trainArtifact(spec, args),
  );
}

/** The command line, and the refusal to replace an artifact without --force (before any training; tested). */
export function parseArtifactCommand(
  spec: { packageDir: string },
  argv: readonly string[],
): (TrainArtifactArgs & { outDir: string }) | { readonly help: true } {
  const args = parseTrainArtifactArgs(argv);
  if (args.help) return args;
  const outDir = args.out ?? join(spec.packageDir, 'artifacts', args.model);
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !args.force) {
    throw new InvalidRequestError(
      'train',
      '--force',
      `is needed to replace the artifact in ${outDir} (or use --out DIR)`,
    );
  }
  return { ...args, outDir };
}

async function trainArtifact<H extends { trainingDatasets: readonly ('zsre' | 'counterfact')[] }, A>(
  spec: ArtifactTraining<H, A>,
  args: TrainArtifactArgs & { outDir: string },
): Promise<void> {
  const modelName = args.model as CheckpointName;
  const out = args.outDir;
  await initBackend();
  const model = loadPretrained(modelName);
  try {
    const preset = (spec.presets[modelName] ?? {}) as Record<string, unknown>;
    const hparams = spec.parse({ ...preset, ...args.overrides });
    const requests = hparams.trainingDatasets.flatMap((d) => loadSplit(d, 'train'));
    console.error(
      `${spec.what} training for ${modelName} (${model.modelId}) on ${requests.length} training requests` +
        `${spec.describe ? `, ${spec.describe(hparams)}` : ''}, backend ${currentBackend()?.name}`,
    );
    let bar: ProgressBar | undefined;
    let stage = '';
    const artifact = await spec.train(model, requests, hparams, {
      seed: args.seed,
      onProgress({ stage: now, fraction }) {
        if (now !== stage) {
          bar?.finish();
          stage = now;
          bar = new ProgressBar(1000, now.padEnd(20), 100);
        }
        bar?.update(Math.round(fraction * 1000), {});
      },
    });
    bar?.finish();
    try {
      await spec.save(artifact, out);
      console.log(JSON.stringify(spec.report(artifact), null, 2));
      console.log(`saved to ${out}`);
    } finally {
      spec.dispose(artifact);
    }
  } finally {
    model.dispose();
  }
}
