// Table D's methods, in MMEdit's order: the two fine-tuning baselines, then KE, IKE, SERAC and MEND. Each runs
// with its `default` preset of @llmedit/mmedit; SERAC, MEND and KE with the committed artifacts of the default
// language model, which the default VLM's language model is (unchanged, checked by content hash).
import { keArtifactRef, loadKeArtifact } from '@llmedit/ke';
import { loadMendArtifact, mendArtifactRef } from '@llmedit/mend';
import { ftLlm, ftVision, ike, ke, type MmeditMethodId, mend, mmeditPresets, serac } from '@llmedit/mmedit';
import { loadSeracArtifact, seracArtifactRef } from '@llmedit/serac';
import type { MultimodalBenchMethod } from './multimodal.js';

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
  { method: ike, published: 'IKE', hparams: preset('ike') },
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
