import { loadPretrained } from '@llmedit/pretrained';
import { describeEditMethod } from '@llmedit/testing';
import { serac, seracArtifactRef, seracCopy } from './method.js';
import { seracPreset } from './presets.js';

// The committed artifact was trained for the default checkpoint (its classifier reads that model's features),
// so the suite runs there. Revert is "memory emptied, base untouched": the weights are never written.
for (const method of [serac, seracCopy]) {
  describeEditMethod(method, {
    hparams: seracPreset('default'),
    model: () => loadPretrained('default'),
    artifact: seracArtifactRef('default'),
  });
}
