import {
  createRng,
  type EditRequest,
  InvalidRequestError,
  initBackend,
  type Tensor,
  tf,
} from '@llmedit/core';
import { scoreSharedPrompts } from '@llmedit/evaluate';
import { type CausalLM, createRandomModel, generate, padBatch, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERAC_ARTIFACT_FORMAT,
  SERAC_ARTIFACT_VERSION,
  type SeracArtifact,
  seracArtifact,
} from './artifact.js';
import { editStatement } from './counterfactual.js';
import { seracHparams } from './hparams.js';
import type { ScopeClassifierWeights } from './scope-classifier.js';
import { createSeracModel, prepareEdits, type SeracEdit, seracBaseOf, seracRoutes } from './serac-model.js';

const request: EditRequest = { prompt: 'Satyajit Ray speaks', targetNew: 'French' };
const unrelated = 'The Eiffel Tower is located in';

let base: CausalLM;
let artifact: SeracArtifact;
let edits: SeracEdit[];

/**
 * A classifier with seeded random weights: an input containing the edit's tokens scores sigmoid(3) = 0.95,
 * an unrelated one (cosines of random 32-dimensional projections) far below.
 */
function fixedClassifier(width: number, dim: number): ScopeClassifierWeights {
  const rng = createRng(1);
  const projection = new Float32Array(width * dim);
  for (let i = 0; i < projection.length; i++) projection[i] = rng.normal();
  return {
    width,
    dim,
    projection,
    importance: new Float32Array(width),
    importanceBias: 0,
    scale: 50,
    offset: -47,
  };
}

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  base = loadPretrained('micro');
  // A counterfactual model with other weights, so that which model read a row shows in its logits.
  const counterfactual = createRandomModel(base.config, {
    seed: 3,
    ...(base.tokenizer ? { tokenizer: base.tokenizer } : {}),
  });
  artifact = seracArtifact(
    {
      format: SERAC_ARTIFACT_FORMAT,
      version: SERAC_ARTIFACT_VERSION,
      baseModelId: base.modelId,
      classifierLayer: 0,
      copyWeights: { next: 0, first: 0 },
      hparams: seracHparams.defaults,
      report: undefined as never,
    },
    fixedClassifier(2 * base.config.hiddenSize, 32),
    counterfactual,
  );
  edits = prepareEdits(base, artifact, [request]);
});
afterAll(() => {
  artifact.dispose();
  base.dispose();
});

/** The view with the edit live and a threshold that only an input with the edit's tokens passes. */
function view(): CausalLM {
  return createSeracModel(base, artifact, edits, { threshold: 0.9 });
}

function values(t: Tensor | undefined): Float32Array {
  const data = (t as Tensor).dataSync() as Float32Array;
  t?.dispose();
  return data;
}

describe('SERAC view routing', () => {
  it('routes the edit prompt to the counterfactual model and other inputs to the base model', () => {
    const [inScope, outOfScope] = seracRoutes(view(), [request.prompt, unrelated]);
    expect(inScope?.edit?.request).toBe(request);
    expect(inScope?.probability).toBeGreaterThan(0.9);
    expect(outOfScope?.edit).toBeUndefined();
    expect(outOfScope?.probability).toBeLessThan(0.01);
  });

  it.each(['right', 'left'] as const)(
    'gives the base model its rows bit for bit and the counterfactual model the statement then the row (%s padding)',
    (side) => {
      const tokenizer = base.requireTokenizer();
      const edited = [...tokenizer.encode(request.prompt), ...tokenizer.encode(' French')];
      const other = tokenizer.encode(`${unrelated} Paris, the capital`);
      const batch = padBatch([edited, other], base.padTokenId, side);
      const length = batch.ids[0]?.length as number;
      const vocab = base.config.vocabSize;
      const got = values(view().forward(batch, { logits: 'all' }).logits);

      const baseOnly = values(
        base.forward({ ids: [batch.ids[1] as number[]], attentionMask: [batch.attentionMask[1] as number[]] })
          .logits,
      );
      expect(got.subarray(length * vocab, 2 * length * vocab)).toEqual(baseOnly);

      const context = tokenizer.encode(editStatement(request));
      const counterfactual = values(
        artifact.counterfactual.forward({
          ids: [[...context, ...edited]],
          attentionMask: [[...context, ...edited].map(() => 1)],
        }).logits,
      );
      const firstReal = batch.attentionMask[0]?.indexOf(1) as number;
      edited.forEach((_, k) => {
        const row = got.subarray((firstReal + k) * vocab, (firstReal + k + 1) * vocab);
        const expected = counterfactual.subarray(
          (context.length + k) * vocab,
          (context.length + k + 1) * vocab,
        );
        expect(row).toEqual(expected);
      });
    },
  );

  it.each(['left', 'right'] as const)(
    "answers position, last (each row's last real token) and none selections in the caller order (%s padding)",
    (side) => {
      const tokenizer = base.requireTokenizer();
      const rows = [tokenizer.encode(`${unrelated} the city of`), tokenizer.encode(request.prompt)];
      const batch = padBatch(rows, base.padTokenId, side);
      const length = batch.ids[0]?.length as number;
      const lastReal = batch.attentionMask.map((mask) => mask.lastIndexOf(1));
      const v = view();
      const all = values(v.forward(batch, { logits: 'all' }).logits);
      const vocab = base.config.vocabSize;
      const at = (b: number, t: number) =>
        all.subarray((b * length + t) * vocab, (b * length + t + 1) * vocab);
      const last = values(v.forward(batch, { logits: 'last' }).logits);
      expect(last.subarray(0, vocab)).toEqual(at(0, lastReal[0] as number));
      expect(last.subarray(vocab)).toEqual(at(1, lastReal[1] as number));
      const positions: [number, number][] = [
        [1, lastReal[1] as number],
        [0, (lastReal[0] as number) - 1],
      ];
      const picked = values(v.forward(batch, { logits: { positions } }).logits);
      expect(picked.subarray(0, vocab)).toEqual(at(1, lastReal[1] as number));
      expect(picked.subarray(vocab)).toEqual(at(0, (lastReal[0] as number) - 1));
      expect(v.forward(batch, { logits: 'none' }).logits).toBeUndefined();
    },
  );

  it('scores targets through the counterfactual model in scope and the base model out of scope', () => {
    const v = view();
    const pairs = [
      { prompt: request.prompt, target: 'French' },
      { prompt: unrelated, target: 'Paris' },
    ];
    const [inScope, outOfScope] = scoreTargets(v, pairs);
    const [baseOut] = scoreTargets(base, [pairs[1] as (typeof pairs)[number]]);
    expect(outOfScope?.logProbs).toEqual(baseOut?.logProbs);
    const [cf] = scoreTargets(artifact.counterfactual, [
      { prompt: `${editStatement(request)}${request.prompt}`, target: 'French' },
    ]);
    expect(inScope?.argmaxIds).toEqual(cf?.argmaxIds);
    inScope?.logProbs.forEach((lp, k) => {
      expect(lp).toBeCloseTo(cf?.logProbs[k] as number, 4);
    });
  });

  it("scores with EasyEdit's soft mixture log((1 - s) p_base + s p_cf) and generates by the hard route", () => {
    const soft = createSeracModel(base, artifact, edits, { threshold: 0.9, mixture: 'soft', copy: false });
    const hard = createSeracModel(base, artifact, edits, { threshold: 0.9, copy: false });
    for (const pair of [
      { prompt: request.prompt, target: 'French' },
      { prompt: unrelated, target: 'Paris' },
    ]) {
      const s = seracRoutes(soft, [`${pair.prompt} ${pair.target}`])[0]!.probability;
      const [mixed] = scoreTargets(soft, [pair]);
      const [fromBase] = scoreTargets(base, [pair]);
      const [fromCf] = scoreTargets(artifact.counterfactual, [
        { prompt: `${editStatement(request)}${pair.prompt}`, target: pair.target },
      ]);
      mixed!.logProbs.forEach((lp, k) => {
        const expected = Math.log(
          (1 - s) * Math.exp(fromBase!.logProbs[k]!) + s * Math.exp(fromCf!.logProbs[k]!),
        );
        expect(lp).toBeCloseTo(expected, 4);
      });
    }
    // In scope s = 0.95: the mixture is neither model alone.
    const [inScope] = scoreTargets(soft, [{ prompt: request.prompt, target: 'French' }]);
    const [routed] = scoreTargets(hard, [{ prompt: request.prompt, target: 'French' }]);
    expect(Math.abs(inScope!.logProbs[0]! - routed!.logProbs[0]!)).toBeGreaterThan(1e-3);
    // Generation reads 'last' logits: the hard route, token for token.
    const prompts = [request.prompt, unrelated];
    const options = { maxNewTokens: 4 };
    expect(generate(soft, prompts, options).map((g) => g.ids)).toEqual(
      generate(hard, prompts, options).map((g) => g.ids),
    );
  });

  it('scores shared prompts (a cache branched row by row) exactly as whole sequences', () => {
    const v = view();
    const tokenizer = base.requireTokenizer();
    const pairs = [
      { prompt: request.prompt, target: 'French and Italian' },
      { prompt: request.prompt, target: 'English as well' },
      { prompt: unrelated, target: 'the city of Paris' },
    ];
    const ids = pairs.map((p) => tokenizer.encodePair(p.prompt, p.target));
    const shared = scoreSharedPrompts(v, ids);
    const whole = scoreTargets(v, pairs);
    shared.forEach((score, i) => {
      expect(score.argmaxIds).toEqual(whole[i]?.argmaxIds);
      score.logProbs.forEach((lp, k) => {
        expect(lp).toBeCloseTo(whole[i]?.logProbs[k] as number, 4);
      });
    });
  });

  it("continues the edit's answer with the copy mechanism once its first token is read", () => {
    const copying: SeracArtifact = {
      ...artifact,
      config: { ...artifact.config, copyWeights: { next: 0.99, first: 0 } },
    };
    const edited: EditRequest = { prompt: request.prompt, targetNew: 'French and Italian' };
    const v = createSeracModel(base, copying, prepareEdits(base, copying, [edited]), { threshold: 0.9 });
    const [scored] = scoreTargets(v, [{ prompt: edited.prompt, target: edited.targetNew }]);
    // Token 0 is the (random) counterfactual model's own; every later one is copied.
    expect(scored?.argmaxIds.slice(1)).toEqual(scored?.targetIds.slice(1));
    scored?.logProbs.slice(1).forEach((lp) => {
      expect(lp).toBeGreaterThan(Math.log(0.99));
    });
    // Out of scope, nothing is copied: the base model's scores.
    const other = { prompt: unrelated, target: 'French and Italian' };
    expect(scoreTargets(v, [other])).toEqual(scoreTargets(base, [other]));
  });

  it('decodes the same with and without a KV cache, and routes a generation by its prompt', () => {
    const v = view();
    const options = { maxNewTokens: 6, stopAtEos: false } as const;
    const cached = generate(v, [request.prompt, unrelated], options);
    const replayed = generate(v, [request.prompt, unrelated], { ...options, useCache: false });
    expect(cached.map((g) => g.ids)).toEqual(replayed.map((g) => g.ids));
    expect(cached[1]?.ids).toEqual(generate(base, [unrelated], options)[0]?.ids);
    const direct = generate(artifact.counterfactual, [`${editStatement(request)}${request.prompt}`], options);
    expect(cached[0]?.ids).toEqual(direct[0]?.ids);
  });

  it('refuses hooks and partial forwards while edits are live, and leaks no tensor', () => {
    const v = view();
    const ids = base.requireTokenizer().encode(request.prompt);
    const batch = { ids: [ids], attentionMask: [ids.map(() => 1)] };
    expect(() => v.forward(batch, { hooks: [{ point: base.layout.residual(0), capture: true }] })).toThrow(
      InvalidRequestError,
    );
    expect(() => v.forward(batch, { stopAfterLayer: 0 })).toThrow(/stopAfterLayer/);
    const before = tf.memory().numTensors;
    v.forward(batch).logits?.dispose();
    generate(v, [request.prompt], { maxNewTokens: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(seracBaseOf(v)).toBe(base);
    expect(seracBaseOf(base)).toBeUndefined();
  });

  it("refuses an in-scope input that would not fit the counterfactual model's positions after the context", () => {
    const tokenizer = base.requireTokenizer();
    const one = tokenizer.encode(` ${request.prompt}`);
    const ids = tokenizer.encode(request.prompt);
    while (ids.length + one.length <= base.config.maxPositions) ids.push(...one);
    const batch = { ids: [ids], attentionMask: [ids.map(() => 1)] };
    expect(seracRoutes(view(), [tokenizer.decode(ids)])[0]?.edit).toBeDefined();
    expect(() => view().forward(batch, { logits: 'last' })).toThrow(/exceeds the counterfactual model's/);
  });

  it('reads every input with the base model once its edits are dead', () => {
    const dead = prepareEdits(base, artifact, [request]).map((e) => ({ ...e, live: false }));
    const v = createSeracModel(base, artifact, dead, { threshold: 0.5 });
    const ids = base.requireTokenizer().encode(request.prompt);
    const batch = { ids: [ids], attentionMask: [ids.map(() => 1)] };
    expect(values(v.forward(batch).logits)).toEqual(values(base.forward(batch).logits));
    // With no live edit, hooks pass through to the base model.
    const out = v.forward(batch, {
      hooks: [{ point: base.layout.residual(0), capture: true }],
      logits: 'none',
    });
    expect(Object.keys(out.captured)).toEqual(['residual.0']);
    tf.dispose(Object.values(out.captured));
  });
});
