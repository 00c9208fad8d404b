// Test-only: a KE hypernetwork trained on the micro model in seconds (not exported from the package).
import { loadSplit } from '@llmedit/datasets';
import type { CausalLM } from '@llmedit/models';
import type { KeArtifact } from './artifact.js';
import { type KeHparams, keHparams } from './hparams.js';
import { kePreset } from './presets.js';
import { trainKe } from './train.js';

/** Training-split CounterFact requests the micro fixture trains on (the evaluation split stays held out). */
export function microTrainingRequests(count = 300) {
  return loadSplit('counterfact', 'train').slice(0, count);
}

/** The micro preset with any overrides. */
export function microHparams(overrides: Partial<KeHparams> = {}): KeHparams {
  return keHparams.parse({ ...kePreset('micro'), ...overrides });
}

/** Train the micro preset's hypernetwork for `model` (seed 0). */
export function trainMicroEditor(model: CausalLM, overrides: Partial<KeHparams> = {}): Promise<KeArtifact> {
  return trainKe(model, microTrainingRequests(), microHparams(overrides), { seed: 0 });
}
