import { EditError, edit, InvalidHparamsError, initBackend, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { generate } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ike } from './method-browser.js';
import { ikePreset } from './presets.js';

let model: CausalLM;
beforeAll(async () => {
  await initBackend({ prefer: ['wasm'] });
  model = loadPretrained('micro');
});
afterAll(() => model.dispose());

const request = { prompt: 'The mother tongue of Danielle Darrieux is', targetNew: 'English' };

describe('IKE of the browser entry (no training splits on disk)', () => {
  it('refuses to retrieve demonstrations it has no store for, naming the field, and leaves the model as it was', async () => {
    const before = tf.memory().numTensors;
    const run = edit({ method: ike, model, requests: request, hparams: ikePreset('micro') });
    // edit() wraps a method's failure in an EditError (after restoring the model); the cause names the field.
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EditError);
    expect((error as EditError).cause).toBeInstanceOf(InvalidHparamsError);
    expect((error as EditError).cause).toMatchObject({ field: 'demoPool' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('edits with k = 0 (the new fact alone in context) and reverts', async () => {
    const before = tf.memory().numTensors;
    const result = await edit({
      method: ike,
      model,
      requests: request,
      hparams: { ...ikePreset('micro'), k: 0 },
    });
    const [withFact] = generate(result.model, [request.prompt], { maxNewTokens: 1 });
    expect(withFact?.text.length).toBeGreaterThan(0);
    result.revert();
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
