import { InvalidRequestError, initBackend, tf } from '@llmedit/core';
import { datasetPath, loadKnownFactsFile } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { averageTraces, factSeed, knownFacts, TOKEN_GROUPS, type TraceFact, tokenGroups } from './average.js';
import { traceFact } from './trace.js';

let model: CausalLM;
let facts: TraceFact[];

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
  facts = knownFacts(model, loadKnownFactsFile(datasetPath('known1000')).records, { limit: 3, chunk: 100 });
});

afterAll(() => model.dispose());

describe('tokenGroups', () => {
  it("assigns ROME's token roles around the subject", () => {
    // "The | Eiffel | Tow | er | is | located | in", subject tokens 1..3
    expect(tokenGroups(7, 1, 4)).toEqual([
      [],
      ['First subject token'],
      ['Middle subject tokens'],
      ['Last subject token'],
      ['First subsequent token'],
      ['Further tokens'],
      ['Last token'],
    ]);
    // One-token subject at the start, one token after it which is the last.
    expect(tokenGroups(2, 0, 1)).toEqual([['First subject token', 'Last subject token'], ['Last token']]);
  });
});

describe('knownFacts', () => {
  it("keeps only the facts whose first answer token is the model's argmax", () => {
    expect(facts).toHaveLength(3);
    const scores = scoreTargets(
      model,
      facts.map((f) => ({ prompt: f.prompt, target: f.target as string })),
    );
    for (const s of scores) expect(s.argmaxIds[0]).toBe(s.targetIds[0]);
  });
});

describe('averageTraces', () => {
  it('averages per-fact traces by token group, as indirect effects over the corrupted baseline', () => {
    const options = { kind: 'mlp' as const, samples: 2, seed: 5 };
    const average = averageTraces(model, facts, options);
    expect(average.count).toBe(3);
    expect(average.groups).toEqual(TOKEN_GROUPS);
    expect(average.meanScores).toHaveLength(6);
    expect(average.meanScores[0]).toHaveLength(model.config.numLayers);
    expect(average.groupCounts[5]).toBe(3); // every prompt has a last token
    expect(average.groupCounts[2]).toBe(3); // and a last subject token
    // Recompute two rows from the individual traces, with the per-fact seeds of the run.
    const traces = facts.map((fact, i) =>
      traceFact(model, { ...fact, kind: 'mlp', samples: 2, noise: average.noise, seed: factSeed(5, i) }),
    );
    const meanClean = traces.reduce((sum, t) => sum + t.cleanProbability, 0) / 3;
    const meanCorrupted = traces.reduce((sum, t) => sum + t.corruptedProbability, 0) / 3;
    expect(average.meanClean).toBeCloseTo(meanClean, 12);
    expect(average.meanCorrupted).toBeCloseTo(meanCorrupted, 12);
    expect(average.totalEffect).toBeCloseTo(meanClean - meanCorrupted, 12);
    for (let l = 0; l < model.config.numLayers; l++) {
      const last = traces.reduce((sum, t) => sum + t.scores[t.tokenIds.length - 1]![l]!, 0) / 3;
      expect(average.meanScores[5]![l]).toBeCloseTo(last, 12);
      expect(average.indirectEffect[5]![l]).toBeCloseTo(last - meanCorrupted, 12);
      const lastSubject = traces.reduce((sum, t) => sum + t.scores[t.subjectEnd - 1]![l]!, 0) / 3;
      expect(average.meanScores[2]![l]).toBeCloseTo(lastSubject, 12);
    }
    const peak = average.indirectEffect[TOKEN_GROUPS.indexOf(average.peak.group)]![average.peak.layer];
    expect(peak).toBe(average.peak.indirectEffect);
    const present = average.indirectEffect.filter((_, g) => average.groupCounts[g]! > 0);
    expect(Math.max(...present.flat())).toBe(average.peak.indirectEffect);
  });

  it('gives zero indirect effects when the noise is zero, and leaks nothing', () => {
    averageTraces(model, facts.slice(0, 1), { samples: 1, noise: 0 });
    const before = tf.memory().numTensors;
    const average = averageTraces(model, facts, { samples: 1, noise: 0 });
    for (const row of average.indirectEffect) for (const v of row) expect(Math.abs(v)).toBeLessThan(1e-6);
    expect(Math.abs(average.totalEffect)).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => averageTraces(model, [])).toThrow(InvalidRequestError);
  });
});
