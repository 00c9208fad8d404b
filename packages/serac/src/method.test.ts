import { EditError, type EditRequest, edit, initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERAC_ARTIFACT_FORMAT } from './artifact.js';
import { type SeracInfo, serac, seracArtifactRef } from './method.js';
import { seracPreset } from './presets.js';
import { seracBaseOf, seracRoutes } from './serac-model.js';

const hparams = seracPreset('default');
const artifact = seracArtifactRef('default');
let model: CausalLM;
let requests: EditRequest[];

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('default');
  requests = loadSplit('counterfact', 'eval').slice(0, 3);
});
afterAll(() => model.dispose());

function neighbours(request: EditRequest): string[] {
  return (request.locality?.neighborhood ?? []).map((q) => q.prompt);
}

describe('SERAC on the default model with the committed artifact', () => {
  it("makes the target its prompt's answer, routes the rephrases, and reads the neighbours with the base model", async () => {
    const request = requests[0] as EditRequest;
    const result = await edit({ method: serac, model, requests: request, hparams, context: { artifact } });
    try {
      const [scored] = scoreTargets(result.model, [{ prompt: request.prompt, target: request.targetNew }]);
      expect(scored?.argmaxIds).toEqual(scored?.targetIds);
      const routes = seracRoutes(result.model, [...(request.rephrasePrompts ?? []), ...neighbours(request)]);
      const rephrases = request.rephrasePrompts?.length ?? 0;
      expect(routes.slice(0, rephrases).every((r) => r.edit !== undefined)).toBe(true);
      // Neighbours the classifier keeps out (scope s < 0.5): EasyEdit's soft mixture still blends s·p_cf into
      // their scores, so each log-probability is at least the base model's + log(1 − s) > base − ln 2, and
      // the base model's answer stays the argmax. (serac-copy routes them to the base model exactly.)
      const kept = neighbours(request).filter((_, i) => routes[rephrases + i]?.edit === undefined);
      expect(kept.length).toBeGreaterThanOrEqual(neighbours(request).length - 1);
      const pairs = kept.map((prompt) => ({ prompt, target: request.groundTruth as string }));
      const base = scoreTargets(model, pairs);
      scoreTargets(result.model, pairs).forEach((scored, i) => {
        expect(scored.argmaxIds).toEqual(base[i]!.argmaxIds);
        for (const [j, lp] of scored.logProbs.entries()) {
          expect(lp).toBeGreaterThan(base[i]!.logProbs[j]! - Math.log(2));
        }
      });
    } finally {
      result.revert();
      result.dispose();
    }
  });

  it('grows one memory over sequential edits; reverting one keeps the others; the last revert frees the artifact', async () => {
    const tensors = tf.memory().numTensors;
    const first = await edit({
      method: serac,
      model,
      requests: requests[0] as EditRequest,
      hparams,
      context: { artifact },
    });
    const second = await edit({
      method: serac,
      model: first.model,
      requests: requests[1] as EditRequest,
      hparams,
      context: { artifact },
    });
    expect(seracBaseOf(second.model)).toBe(model);
    expect(second.steps[0]?.wallMs).toBeGreaterThanOrEqual(0);
    const prompts = [(requests[0] as EditRequest).prompt, (requests[1] as EditRequest).prompt];
    expect(seracRoutes(second.model, prompts).map((r) => r.edit?.request)).toEqual([
      requests[0],
      requests[1],
    ]);
    first.revert();
    expect(seracRoutes(second.model, prompts).map((r) => r.edit?.request)).toEqual([undefined, requests[1]]);
    second.revert();
    expect(seracRoutes(second.model, prompts).map((r) => r.edit)).toEqual([undefined, undefined]);
    first.dispose();
    second.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses a missing, malformed or foreign artifact with a typed error and leaves nothing behind', async () => {
    const tensors = tf.memory().numTensors;
    const request = requests[0] as EditRequest;
    await expect(edit({ method: serac, model, requests: request, hparams })).rejects.toThrow(
      /context.artifact/,
    );
    await expect(
      edit({ method: serac, model, requests: request, hparams, context: { artifact: { dir: 1 } } }),
    ).rejects.toThrow(/context.artifact/);
    const micro = loadPretrained('micro');
    try {
      const error = await edit({
        method: serac,
        model: micro,
        requests: request,
        hparams,
        context: { artifact },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EditError);
      expect(String((error as Error).message) + String((error as Error).cause)).toMatch(
        /was trained for model/,
      );
    } finally {
      micro.dispose();
    }
    await expect(
      edit({
        method: serac,
        model,
        requests: request,
        hparams,
        context: { artifact: { format: SERAC_ARTIFACT_FORMAT, dir: '/nonexistent' } },
      }),
    ).rejects.toThrow(/serac\.json/);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('rejects an edit too long for the context and keeps answering other inputs', async () => {
    const tensors = tf.memory().numTensors;
    const filler = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const long: EditRequest = {
      id: 'long-1',
      prompt: `${filler} Paris is the capital of`,
      targetNew: 'Italy',
    };
    const error = await edit({ method: serac, model, requests: long, hparams, context: { artifact } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EditError);
    expect(String((error as Error).message)).toMatch(/long-1.*'prompt'.*positions/);
    // Nothing stayed in the memory: an unrelated edit holds only itself and answers.
    const other = await edit({
      method: serac,
      model,
      requests: requests[1] as EditRequest,
      hparams,
      context: { artifact },
    });
    try {
      expect((other.outcomes[0]!.info as unknown as SeracInfo).editsInMemory).toBe(1);
      expect(() =>
        scoreTargets(other.model, [{ prompt: 'The Eiffel Tower is in', target: 'Paris' }]),
      ).not.toThrow();
    } finally {
      other.revert();
      other.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('a disposed edit leaves the memory (later edits do not carry it) and frees the artifact', async () => {
    const tensors = tf.memory().numTensors;
    const first = await edit({
      method: serac,
      model,
      requests: requests[0] as EditRequest,
      hparams,
      context: { artifact },
    });
    first.dispose();
    const prompt = (requests[0] as EditRequest).prompt;
    const second = await edit({
      method: serac,
      model,
      requests: requests[1] as EditRequest,
      hparams,
      context: { artifact },
    });
    try {
      expect((second.outcomes[0]!.info as unknown as SeracInfo).editsInMemory).toBe(1);
      expect(seracRoutes(second.model, [prompt])[0]?.edit?.request).not.toBe(requests[0]);
    } finally {
      second.revert();
      second.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
