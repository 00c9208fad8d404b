// The README's "Use it" example as CommonJS (require), with the consumer test's checks.
const { edit, initBackend } = require('@llmedit/core');
const { generate, scoreTargets } = require('@llmedit/models');
const { loadPretrained } = require('@llmedit/pretrained');
const { rome, romePreset } = require('@llmedit/rome');

/** The first token's probability of `target` after `prompt`. */
function firstTokenP(model, prompt, target) {
  return Math.exp(scoreTargets(model, [{ prompt, target }])[0].logProbs[0]);
}

async function main() {
  await initBackend();
  const model = loadPretrained('default');
  const request = {
    prompt: 'Danielle Darrieux, a native',
    subject: 'Danielle Darrieux',
    targetNew: 'English',
  };
  const before = generate(model, [request.prompt], { maxNewTokens: 3 })[0].text;
  const pBefore = firstTokenP(model, request.prompt, ' English');
  const result = await edit({ method: rome, model, requests: request, hparams: romePreset('default') });
  const after = generate(result.model, [request.prompt], { maxNewTokens: 3 })[0].text;
  const pAfter = firstTokenP(result.model, request.prompt, ' English');
  result.revert();
  result.dispose();
  const reverted = generate(model, [request.prompt], { maxNewTokens: 3 })[0].text;
  console.log(JSON.stringify({ before, after, reverted, pBefore, pAfter }));
  if (!after.startsWith(' English')) throw new Error(`the edit did not flip the answer: '${after}'`);
  if (reverted !== before) throw new Error(`revert did not restore the answer: '${reverted}' vs '${before}'`);
  if (!(pAfter > 0.5 && pBefore < pAfter / 2))
    throw new Error(`p(English): ${pBefore} before, ${pAfter} after`);
  model.dispose();
  console.log('consumer check passed (CommonJS)');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
