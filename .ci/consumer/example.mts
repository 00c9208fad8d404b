// The README's "Use it" example with types, checked by `tsc --noEmit` against the installed declarations
// (ESM build's .d.ts through the package exports, under strict TypeScript and NodeNext resolution).
import { type EditProgress, type EditRequest, edit, initBackend } from '@llmedit/core';
import { type CausalLM, generate, scoreTargets, type TargetScore } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { type RomeHparams, rome, romePreset } from '@llmedit/rome';

await initBackend();
const model: CausalLM = loadPretrained('default');
const request: EditRequest = {
  prompt: 'Danielle Darrieux, a native',
  subject: 'Danielle Darrieux',
  targetNew: 'English',
};
const hparams: RomeHparams = romePreset('default');
const result = await edit({
  method: rome,
  model,
  requests: request,
  hparams,
  context: { onProgress: (progress: EditProgress) => console.error(progress.stage, progress.fraction) },
});
const text: string = generate(result.model, [request.prompt], { maxNewTokens: 3 })[0]?.text ?? '';
const [score]: TargetScore[] = scoreTargets(result.model, [
  { prompt: 'Danielle Darrieux speaks', target: 'English' },
]);
console.log(text, score?.logProbs);
result.revert();
result.dispose();
