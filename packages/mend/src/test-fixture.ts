// Test-only: a MEND editor meta-trained on the micro model in seconds (not exported from the package).
import { loadSplit } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import type { MendArtifact } from './artifact.js';
import { type MendHparams, mendHparams } from './hparams.js';
import { mendPreset } from './presets.js';
import { trainMend } from './train.js';

/** Training-split CounterFact requests the micro fixture trains on (the evaluation split stays held out). */
export function microTrainingRequests(count = 300) {
  return loadSplit('counterfact', 'train').slice(0, count);
}

/** The micro preset with any overrides. */
export function microHparams(overrides: Partial<MendHparams> = {}): MendHparams {
  return mendHparams.parse({ ...mendPreset('micro'), ...overrides });
}

/** Meta-train the micro preset's editor for `model` (seed 0). */
export function trainMicroEditor(
  model: CausalLM,
  overrides: Partial<MendHparams> = {},
): Promise<MendArtifact> {
  return trainMend(model, microTrainingRequests(), microHparams(overrides), { seed: 0 });
}
