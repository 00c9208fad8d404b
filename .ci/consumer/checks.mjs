// ---- consumer-test checks (appended to the README's "Use it" example by .ci/consumer.sh) ----
// The example above edited, queried, reverted and disposed; these lines check what it claimed.
{
  const after = generate(model, [request.prompt], { maxNewTokens: 3 })[0]?.text ?? '';
  const edited = await edit({ method: rome, model, requests: request, hparams: romePreset('default') });
  const editedText = generate(edited.model, [request.prompt], { maxNewTokens: 3 })[0]?.text ?? '';
  const pEdited = Math.exp(
    scoreTargets(edited.model, [{ prompt: request.prompt, target: ' English' }])[0].logProbs[0],
  );
  edited.revert();
  edited.dispose();
  const reverted = generate(model, [request.prompt], { maxNewTokens: 3 })[0]?.text ?? '';
  const pReverted = Math.exp(
    scoreTargets(model, [{ prompt: request.prompt, target: ' English' }])[0].logProbs[0],
  );
  console.log(JSON.stringify({ editedText, reverted, pEdited, pReverted, scoreLogProbs: score.logProbs }));
  if (!editedText.startsWith(' English'))
    throw new Error(`the edit did not flip the answer: '${editedText}'`);
  if (reverted !== after) throw new Error(`revert did not restore the answer: '${reverted}' vs '${after}'`);
  if (!(pEdited > 0.5 && pReverted < pEdited / 2))
    throw new Error(`p(English): ${pEdited} edited, ${pReverted} reverted`);
  console.log('consumer check passed (ESM)');
}
