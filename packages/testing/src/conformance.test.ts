import { defineEditMethod, defineHparams, type EditMethodV1, field, type Tensor, tf } from '@llmedit/core';
import type { CausalLM, ForwardOptions, TokenBatch } from '@llmedit/models';
import { afterAll, describe, expect, it } from 'vitest';
import { ConformanceError, type ConformanceOptions, createConformanceSuite } from './conformance.js';
import { describeEditMethod } from './describe-edit-method.js';
import { requestTokens } from './fixtures.js';

const capabilities = {
  batch: true,
  sequential: true,
  multimodal: false,
  requiresTraining: false,
  modifiesWeights: false,
} as const;

/**
 * A memory-style test double: a wrapper model whose next-token logits get a bonus on the target when the
 * input is exactly an edited prompt. Changes nothing else, so it should pass every check.
 */
const logitPatch = defineEditMethod<{ bonus: number }, CausalLM>({
  specificationVersion: 'v1',
  id: 'logit-patch',
  displayName: 'Logit patch (test double)',
  capabilities,
  hparams: defineHparams({ bonus: 30 }, { bonus: field.number({ min: 0 }) }),
  async doEdit(_context, model, requests, hparams) {
    const patches = requests.map((request) => requestTokens(model, request));
    const vocab = model.config.vocabSize;
    const wrapper = Object.create(model) as CausalLM;
    wrapper.forward = (batch: TokenBatch, options: ForwardOptions = {}) => {
      const result = model.forward(batch, options);
      if (options.logits !== 'last' || result.logits === undefined) return result;
      const bias = new Float32Array(batch.ids.length * vocab);
      batch.ids.forEach((ids, row) => {
        const real = ids.filter((_, t) => batch.attentionMask[row]?.[t] === 1);
        for (const patch of patches) {
          if (real.length === patch.promptIds.length && real.every((id, t) => id === patch.promptIds[t])) {
            bias[row * vocab + patch.targetId] = hparams.bonus;
          }
        }
      });
      const logits = result.logits;
      const patched = tf.tidy(() => tf.add(logits, tf.tensor2d(bias, [batch.ids.length, vocab])));
      logits.dispose();
      return { ...result, logits: patched };
    };
    return { model: wrapper, deltas: new Map(), restore() {}, dispose() {} };
  },
});

interface NudgeHparams {
  scale: number;
}

interface NudgeVariant {
  /** Leave a float32[3] tensor behind on every edit. */
  leak?: boolean;
  /** Unseeded randomness in the edit. */
  random?: boolean;
  /** restore() does nothing (core's edit() still reverts through its own snapshot). */
  restoreNothing?: boolean;
  /** restore() puts back the weight as it was before the model's first edit, dropping earlier edits too. */
  restoreToFirst?: boolean;
  /** Each edit scales the bias by 1e20, so a few sequential edits overflow to Inf. */
  explode?: boolean;
}

/**
 * A weight-editing test double: adds `scale` times the target's unit embedding to the final norm's bias,
 * which raises the target for every prompt (so it flips the request and breaks locality on purpose).
 */
function biasNudge(variant: NudgeVariant = {}): EditMethodV1<NudgeHparams, CausalLM> {
  const firstOriginal = new WeakMap<CausalLM, Tensor>();
  return defineEditMethod<NudgeHparams, CausalLM>({
    specificationVersion: 'v1',
    id: 'bias-nudge',
    displayName: 'Bias nudge (test double)',
    capabilities: { ...capabilities, modifiesWeights: true },
    hparams: defineHparams({ scale: 40 }, { scale: field.number() }),
    async doEdit(_context, model, requests, hparams) {
      const name = model.layout.finalNorm()[1] as string;
      const scale = hparams.scale + (variant.random === true ? Math.random() : 0);
      if (variant.leak === true) tf.zeros([3]);
      const delta = tf.tidy(() => {
        const rows = requests.map((request) => requestTokens(model, request).targetId);
        const embedding = tf.sum(tf.gather(model.weight(model.layout.lmHead().name), rows), 0);
        return tf.mul(embedding, tf.div(scale, tf.norm(embedding)));
      });
      const original = tf.clone(model.weight(name));
      // 'explode': each edit scales the bias by 1e20, so a few sequential edits overflow to Inf.
      const updated =
        variant.explode === true ? tf.mul(tf.add(original, delta), 1e20) : tf.add(original, delta);
      model.setWeight(name, updated);
      updated.dispose();
      if (variant.restoreToFirst === true && !firstOriginal.has(model)) {
        firstOriginal.set(model, tf.keep(tf.clone(original)));
      }
      return {
        model,
        deltas: new Map([[name, delta]]),
        restore() {
          if (variant.restoreNothing === true) return;
          model.setWeight(
            name,
            variant.restoreToFirst === true ? (firstOriginal.get(model) ?? original) : original,
          );
        },
        dispose() {
          original.dispose();
          delta.dispose();
        },
      };
    },
  });
}

/**
 * A memory-style test double that accepts any edit and then fails every query when an edited prompt does
 * not fit the model's context (what IKE and SERAC did before they checked the length up front).
 */
const contextHog = defineEditMethod<Record<string, never>, CausalLM>({
  specificationVersion: 'v1',
  id: 'context-hog',
  displayName: 'Context hog (test double)',
  capabilities,
  hparams: defineHparams<Record<string, never>>({}, {}),
  async doEdit(_context, model, requests) {
    const longest = Math.max(...requests.map((r) => model.requireTokenizer().encode(r.prompt).length));
    const wrapper = Object.create(model) as CausalLM;
    wrapper.forward = (batch: TokenBatch, options: ForwardOptions = {}) => {
      if (longest + (batch.ids[0]?.length ?? 0) > model.config.maxPositions)
        throw new Error('context overflow');
      return model.forward(batch, options);
    };
    return { model: wrapper, deltas: new Map(), restore() {}, dispose() {} };
  },
});

const noop = defineEditMethod<Record<string, never>, CausalLM>({
  specificationVersion: 'v1',
  id: 'noop',
  displayName: 'No-op (test double)',
  capabilities,
  hparams: defineHparams<Record<string, never>>({}, {}),
  async doEdit(_context, model) {
    return { model, deltas: new Map(), restore() {}, dispose() {} };
  },
});

describeEditMethod(logitPatch);

describeEditMethod(biasNudge(), {
  skip: { keepsUnrelated: 'the test double shifts every prompt towards the target by design' },
});

describe('the conformance checks catch broken methods', () => {
  const suites: { dispose(): void }[] = [];
  afterAll(() => {
    for (const suite of suites) suite.dispose();
  });

  async function failure<H>(
    method: EditMethodV1<H, CausalLM>,
    check: string,
    options: ConformanceOptions<H> = {},
  ): Promise<unknown> {
    const suite = createConformanceSuite(method, options);
    suites.push(suite);
    const run = suite.checks.find((c) => c.name === check);
    if (run === undefined) throw new Error(`no check ${check}`);
    return run.run().then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('an edit that changes nothing fails flipsRequest', async () => {
    const error = await failure(noop, 'flipsRequest');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/not the target's first token/);
  });

  it('a method that shifts every prompt fails keepsUnrelated', async () => {
    const error = await failure(biasNudge(), 'keepsUnrelated');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/unrelated prompts changed/);
  });

  it('a method that leaks a tensor fails noLeaks', async () => {
    const error = await failure(biasNudge({ leak: true }), 'noLeaks');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/numTensors went from/);
    // Named by dtype and shape, not only counted.
    expect(String(error)).toMatch(/still alive: float32\[3\]$/);
  });

  it('a method whose restore() restores nothing fails restoreExact (revertExact cannot see it)', async () => {
    const lazy = biasNudge({ restoreNothing: true });
    expect(await failure(lazy, 'revertExact')).toBeUndefined();
    const error = await failure(lazy, 'restoreExact');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/outcome\.restore\(\).*these weights differ.*ln_f\.bias/);
  });

  it('a method whose restore() also drops the earlier edits fails sequentialStack', async () => {
    const forgetful = biasNudge({ restoreToFirst: true });
    expect(await failure(forgetful, 'restoreExact')).toBeUndefined();
    const error = await failure(forgetful, 'sequentialStack');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/second edit's restore\(\) does not bring back the weights of the first/);
  });

  it('a method that leaks only when stacked is named by sequentialStack', async () => {
    const error = await failure(biasNudge({ leak: true }), 'sequentialStack');
    expect(String(error)).toMatch(/over two stacked edits.*still alive: float32\[3\] ×2/);
  });

  it('sequentialStack is skipped, with the reason, for a method that does not declare sequential', () => {
    const single = defineEditMethod({ ...noop, capabilities: { ...capabilities, sequential: false } });
    const suite = createConformanceSuite(single);
    suites.push(suite);
    expect(suite.checks.find((c) => c.name === 'sequentialStack')?.skipReason).toMatch(
      /does not declare capabilities\.sequential/,
    );
  });

  it('a method with unseeded randomness fails deterministic', async () => {
    const error = await failure(biasNudge({ random: true }), 'deterministic');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/differ between runs/);
  });

  it('a method that claims to modify weights but does not fails revertExact', async () => {
    const liar = defineEditMethod({ ...noop, capabilities: { ...capabilities, modifiesWeights: true } });
    const error = await failure(liar, 'revertExact');
    expect(String(error)).toMatch(/changed no weight/);
  });

  it('efficacy can be judged by a probability threshold instead', async () => {
    expect(await failure(noop, 'flipsRequest', { minTargetProbability: 0.5 })).toBeInstanceOf(
      ConformanceError,
    );
    expect(await failure(logitPatch, 'flipsRequest', { minTargetProbability: 0.9 })).toBeUndefined();
  });

  it('a method that accepts an edit too long for the context and then fails every query fails rejectsBadInput', async () => {
    const error = await failure(contextHog, 'rejectsBadInput');
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/an unrelated query fails: .*context overflow/);
  });

  it('a method whose weights overflow over sequential edits fails sequentialStable', async () => {
    const error = await failure(biasNudge({ explode: true }), 'sequentialStable', { stress: { edits: 5 } });
    expect(error).toBeInstanceOf(ConformanceError);
    expect(String(error)).toMatch(/after 5 sequential edits, weights hold NaN or Inf: transformer.ln_f.bias/);
  });

  it('skips sequentialStable for methods that do not modify weights', () => {
    const suite = createConformanceSuite(noop);
    suites.push(suite);
    expect(suite.checks.find((c) => c.name === 'sequentialStable')?.skipReason).toMatch(
      /does not modify weights/,
    );
  });

  it('refuses a skip without a written reason or for an unknown check', () => {
    expect(() => createConformanceSuite(noop, { skip: { noLeaks: '' } })).toThrow(/written reason/);
    expect(() => createConformanceSuite(noop, { skip: { noSuchCheck: 'x' } as never })).toThrow(
      /unknown check 'noSuchCheck'/,
    );
  });
});
