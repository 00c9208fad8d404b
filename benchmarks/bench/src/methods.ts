// The methods `pnpm bench` runs, in table order. Adding a method is one entry: import its package by name,
// say how the published tables call it, and which of its hyperparameter presets fits the model.

import { calinet, calinetPresets } from '@llmedit/calinet';
import type { AnyEditMethod } from '@llmedit/core';
import { ftL, ftM, ftPresets } from '@llmedit/ft';
import { grace, gracePresets } from '@llmedit/grace';
import { ike, ikePresets } from '@llmedit/ike';
import { ke, keArtifactRef, kePresets, loadKeArtifact, readKeArtifactConfig } from '@llmedit/ke';
import { kn, knLlmedit, knPresets } from '@llmedit/kn';
import { layerStats } from '@llmedit/locate';
import { memit, memitPresets } from '@llmedit/memit';
import { loadMendArtifact, mend, mendArtifactRef, mendPresets, readMendArtifactConfig } from '@llmedit/mend';
import { rome, romePresets, rRome } from '@llmedit/rome';
import {
  loadSeracArtifact,
  readSeracArtifactConfig,
  serac,
  seracArtifactRef,
  seracCopy,
  seracPresets,
} from '@llmedit/serac';
import { tPatcher, tPatcherPresets } from '@llmedit/t-patcher';
import {
  type BenchMethod,
  benchMethod,
  fromPresets,
  type Prepared,
  type PrepareInput,
} from './bench-method.js';

/** The statistics fields ROME and MEMIT share (after `hparams.parse`). */
interface SecondMomentHparams {
  layers: readonly number[];
  mom2Adjustment: boolean;
  mom2NSamples: number;
  mom2Dataset: string;
  statsDir?: string;
}

/**
 * ROME's and MEMIT's one-time cost: the second moments C = E[k kᵀ] of the edited layers' MLP keys, streamed
 * over the default model's pretraining corpus and cached on disk (a cached run reports `cached`).
 */
async function layerStatistics({ bench, hparams }: PrepareInput): Promise<Prepared | undefined> {
  const h = hparams as SecondMomentHparams;
  if (!h.mom2Adjustment) return undefined;
  const stats = await layerStats(bench.model, h.layers, {
    samples: h.mom2NSamples,
    dataset: h.mom2Dataset,
    ...(h.statsDir !== undefined ? { cacheDir: h.statsDir } : {}),
  });
  const all = [...stats.values()];
  const tokens = all[0]?.count ?? 0;
  return {
    label: `layer statistics (layers ${h.layers.join(', ')}, ${tokens.toLocaleString('en-US')} tokens)`,
    cached: all.every((s) => s.source !== 'computed'),
  };
}

/**
 * `--smoke` caps the layer statistics at this many corpus documents (the whole corpus, 23,889 documents,
 * takes about a minute per layer on one core and is cached on disk; CI starts without that cache).
 */
export const SMOKE_STATS_DOCUMENTS = 2000;

/** Per-model presets, with the statistics capped for `--smoke`. */
function withStatistics(
  presets: Parameters<typeof fromPresets>[0],
  key: string | undefined,
  methodId: string,
): Pick<BenchMethod, 'hparams'> {
  const { hparams } = fromPresets(presets, key, methodId);
  return {
    hparams(bench, run) {
      const own = hparams?.(bench, run);
      if (!run.smoke) return own;
      const samples = Number(own?.mom2NSamples ?? Number.POSITIVE_INFINITY);
      return { ...own, mom2NSamples: Math.min(samples, SMOKE_STATS_DOCUMENTS) };
    },
  };
}

/** What the bench needs of a method whose one-time cost is training an artifact (SERAC, MEND, KE). */
interface TrainedArtifact<A extends { dispose(): void }> {
  /** The committed artifact of the default model. */
  committed: { dir: string };
  /** Its recorded training time and size. */
  readReport(dir: string): { seconds: number; trainingRequests: number };
  load(dir: string, bench: PrepareInput['bench']): A;
  method: AnyEditMethod;
  what: string;
}

/**
 * A trained artifact as the one-time cost. The default model's is committed (each package's `train` script):
 * the bench loads it and reports the training time it recorded. Any other model's is trained here on the
 * data set's training split through `doPrepare`. The artifact is loaded once per run (so edits do not each
 * pay for loading it) and freed when the run ends.
 */
function trainedArtifact<A extends { dispose(): void }>(
  spec: TrainedArtifact<A>,
): (input: PrepareInput) => Promise<Prepared> {
  return async ({ bench, hparams, trainingRequests, seed, signal }) => {
    let dir = spec.committed.dir;
    let label: string;
    let cached = false;
    if (bench.name === 'default') {
      const report = spec.readReport(dir);
      label = `committed artifact (trained in ${(report.seconds / 60).toFixed(1)} min on ${report.trainingRequests} requests), loading`;
      cached = true;
    } else {
      const training = trainingRequests();
      const context = { seed, ...(signal ? { signal } : {}) };
      const ref = (await spec.method.doPrepare?.(context, bench.model, training, hparams)) as { dir: string };
      dir = ref.dir;
      label = `${spec.what} training on ${training.length} requests`;
    }
    const artifact = spec.load(dir, bench);
    return { label, artifact, cached, release: () => artifact.dispose() };
  };
}

const seracArtifact = trainedArtifact({
  committed: seracArtifactRef('default'),
  readReport: (dir) => readSeracArtifactConfig(dir).report,
  load: (dir) => loadSeracArtifact(dir),
  method: serac,
  what: 'SERAC',
});

const mendArtifact = trainedArtifact({
  committed: mendArtifactRef('default'),
  readReport: (dir) => readMendArtifactConfig(dir).report,
  load: (dir, bench) => loadMendArtifact(dir, bench.model),
  method: mend,
  what: 'MEND',
});

const keArtifact = trainedArtifact({
  committed: keArtifactRef('default'),
  readReport: (dir) => readKeArtifactConfig(dir).report,
  load: (dir, bench) => loadKeArtifact(dir, bench.model),
  method: ke,
  what: 'KE',
});

export const BENCH_METHODS: readonly BenchMethod[] = [
  benchMethod(
    ftL,
    { survey: 'FT-L', rome: 'FT+L', time: 'FT', memory: 'FT', wise: 'FT-L' },
    fromPresets(ftPresets, 'ft-l'),
  ),
  benchMethod(ftM, {}, fromPresets(ftPresets, 'ft-m')),
  benchMethod(
    rome,
    { survey: 'ROME', rome: 'ROME', time: 'ROME', memory: 'ROME', wise: 'ROME' },
    { ...withStatistics(romePresets, 'rome', 'rome'), prepare: layerStatistics },
  ),
  // R-ROME (Gupta et al. 2024) is in no published table; it is here for Table E's collapse point.
  benchMethod(rRome, {}, { ...withStatistics(romePresets, 'r-rome', 'r-rome'), prepare: layerStatistics }),
  benchMethod(
    memit,
    { survey: 'MEMIT', time: 'MEMIT', memory: 'MEMIT', wise: 'MEMIT' },
    { ...withStatistics(memitPresets, undefined, 'memit'), prepare: layerStatistics },
  ),
  benchMethod(kn, { survey: 'KN', time: 'KN', memory: 'KN' }, fromPresets(knPresets, 'kn')),
  // llmedit's KN rule (packages/kn README): no published row.
  benchMethod(knLlmedit, {}, fromPresets(knPresets, 'kn-llmedit')),
  benchMethod(tPatcher, { time: 'T-Patcher' }, fromPresets(tPatcherPresets, undefined, 't-patcher')),
  benchMethod(calinet, { time: 'CaliNet' }, fromPresets(calinetPresets, undefined, 'calinet')),
  benchMethod(grace, { memory: 'GRACE', wise: 'GRACE' }, fromPresets(gracePresets, undefined, 'grace')),
  benchMethod(ike, { survey: 'IKE', memory: 'IKE' }, fromPresets(ikePresets, undefined, 'ike')),
  benchMethod(
    mend,
    { survey: 'MEND', rome: 'MEND', time: 'MEND', memory: 'MEND', wise: 'MEND' },
    { ...fromPresets(mendPresets, undefined, 'mend'), prepare: mendArtifact },
  ),
  benchMethod(
    ke,
    { survey: 'KE', rome: 'KE', time: 'KE' },
    { ...fromPresets(kePresets, undefined, 'ke'), prepare: keArtifact },
  ),
  benchMethod(
    serac,
    { survey: 'SERAC', time: 'SERAC', memory: 'SERAC' },
    { ...fromPresets(seracPresets, undefined, 'serac'), prepare: seracArtifact },
  ),
  // llmedit's SERAC variant (hard routing and the copy mechanism, packages/serac README): no published row.
  benchMethod(
    seracCopy,
    {},
    { ...fromPresets(seracPresets, undefined, 'serac-copy'), prepare: seracArtifact },
  ),
];
