// @llmedit/multimodal's README example through require(): the CommonJS build.
const { initBackend } = require('@llmedit/core');
const { generate } = require('@llmedit/models');
const { loadDefaultVlm, vqaPrompt } = require('@llmedit/multimodal');

(async () => {
  await initBackend();
  const vlm = loadDefaultVlm();
  const model = vlm.withImage('scene/1000000/0');
  console.log(generate(model, [vqaPrompt('How many objects are there?')], { maxNewTokens: 1 })[0].text);
  vlm.dispose();
})();
