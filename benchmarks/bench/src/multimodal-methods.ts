// Table D's methods, in MMEdit's order: the two fine-tuning baselines, then KE, IKE, SERAC and MEND. Each runs
// with its `default` preset of @llmedit/mmedit; SERAC, MEND and KE with the committed artifacts of the default
// language model, which the default VLM's language model is (unchanged, checked by content hash).

import { loadSceneEdits } from '@llmedit/datasets';
import { DemoPool } from '@llmedit/ike';
import { keArtifactRef, loadKeArtifact } from '@llmedit/ke';
import { loadMendArtifact, mendArtifactRef } from '@llmedit/mend';
import {
  createMultimodalIke,
  ftLlm,
  ftVision,
  ke,
  type MmeditMethodId,
  mend,
  mmeditPresets,
  serac,
} from '@llmedit/mmedit';
import { loadSeracArtifact, seracArtifactRef } from '@llmedit/serac';
import { type MultimodalBenchMethod, multimodalRequest } from './multimodal.js';

/**
 * IKE's demonstrations for Table D: the E-VQA and E-IC training records (never the evaluated ones), as
 * EasyEdit's multimodal IKE retrieves its demonstrations from the task's training set; retrieval picks the
 * task's own records (BM25 on the new fact). Built at the first edit.
 */
const sceneDemoPool = () =>
  DemoPool.fromRequests(
    [
      ...loadSceneEdits('evqa', 'train').records.map((r) => ({
        ...multimodalRequest(r, 'e-vqa'),
        id: `evqa-train-${r.index}`,
      })),
      ...loadSceneEdits('eic', 'train').records.map((r) => ({
        ...multimodalRequest(r, 'e-ic'),
        id: `eic-train-${r.index}`,
      })),
    ],
    'scene edit training records',
  );

const preset = (id: MmeditMethodId) => () => mmeditPresets.default[id] as Readonly<Record<string, unknown>>;

/** A committed text artifact, loaded against the VLM's language model (its weights are the ones it edits). */
function committed(
  what: string,
  load: (vlm: Parameters<NonNullable<MultimodalBenchMethod['prepare']>>[0]) => { dispose(): void },
): NonNullable<MultimodalBenchMethod['prepare']> {
  return async (vlm) => {
    const artifact = load(vlm);
    return {
      label: `committed ${what} artifact of the default language model, loading`,
      artifact,
      release: () => artifact.dispose(),
    };
  };
}

export const MULTIMODAL_BENCH_METHODS: readonly MultimodalBenchMethod[] = [
  { method: ftLlm, hparams: preset('ft-llm') },
  { method: ftVision, hparams: preset('ft-vision') },
  {
    method: ke,
    published: 'KE',
    hparams: preset('ke'),
    prepare: committed('KE', (vlm) => loadKeArtifact(keArtifactRef('default').dir, vlm.languageModel)),
  },
  { method: createMultimodalIke(sceneDemoPool), published: 'IKE', hparams: preset('ike') },
  {
    method: serac,
    published: 'SERAC',
    hparams: preset('serac'),
    prepare: committed('SERAC', () => loadSeracArtifact(seracArtifactRef('default').dir)),
  },
  {
    method: mend,
    published: 'MEND',
    hparams: preset('mend'),
    prepare: committed('MEND', (vlm) => loadMendArtifact(mendArtifactRef('default').dir, vlm.languageModel)),
  },
];
