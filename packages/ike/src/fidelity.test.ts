// Fidelity of IKE to EasyEdit easyeditor/models/ike/ike_main.py + compute_icl_edit_quality (reference/easyedit.md 2.8, 4.13): the text read, written out by hand.
import { type EditRequest, edit, initBackend } from '@llmedit/core';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoPool } from './demos.js';
import type { IkeInfo } from './method.js';
import { createIkeMethod } from './method-node.js';
import { ikePreset } from './presets.js';

let model: CausalLM;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
});
afterAll(() => model.dispose());

const request: EditRequest = { prompt: 'Satyajit Ray speaks', subject: 'Satyajit Ray', targetNew: 'French' };
const probe = 'The mother tongue of Satyajit Ray is';

// Three training records with copy demonstrations only. Against the query "New Fact: Satyajit Ray speaks
// French\nPrompt: Satyajit Ray speaks", the first shares two rare words, the second one, the third none.
const pool = DemoPool.fromRequests([
  { id: 'far', prompt: 'Toko Yasuda plays the', targetNew: 'piano' },
  { id: 'near', prompt: 'Danielle Darrieux speaks', targetNew: 'English' },
  { id: 'nearest', prompt: 'Satyajit Ray was born in', targetNew: 'Paris' },
]);
const nearest = 'New Fact: Satyajit Ray was born in Paris\nPrompt: Satyajit Ray was born in Paris\n\n';
const near = 'New Fact: Danielle Darrieux speaks English\nPrompt: Danielle Darrieux speaks English\n\n';

async function editedScores(x: string, target: string): Promise<{ scores: number[]; info: IkeInfo }> {
  const method = createIkeMethod({ pool });
  const result = await edit({
    method,
    model,
    requests: request,
    hparams: { ...ikePreset('micro'), k: 2, useIclExamples: true, demoOrder: 'similar-first' },
  });
  const edited = result.outcomes[0]!.model as CausalLM;
  const scores = scoreTargets(edited, [{ prompt: x, target }])[0]!.logProbs;
  const info = result.outcomes[0]!.info as unknown as IkeInfo;
  result.revert();
  result.dispose();
  return { scores, info };
}

/** The base model's scores of `target` after `text` + ' ' (EasyEdit's icl_lm_eval: f'{x} {target}'). */
function baseScores(text: string, target: string): number[] {
  return scoreTargets(model, [{ prompt: text, target }])[0]!.logProbs;
}

describe("IKE reads EasyEdit's in-context text", () => {
  it('k demonstrations most similar first, each "New Fact: {p} {t}\\nPrompt: {probe} {answer}\\n\\n", then the query', async () => {
    const { scores, info } = await editedScores(probe, 'French');
    expect(info.facts[0]!.demos.map((d) => d.record)).toEqual(['nearest', 'near']);
    const text = `${nearest}${near}New Fact: Satyajit Ray speaks French\nPrompt: ${probe}`;
    const expected = baseScores(text, 'French');
    expect(scores).toHaveLength(expected.length);
    scores.forEach((s, i) => {
      expect(s).toBeCloseTo(expected[i]!, 4);
    });
    // The check can fail: the other order of the demonstrations is another text with other scores.
    const swapped = baseScores(
      `${near}${nearest}New Fact: Satyajit Ray speaks French\nPrompt: ${probe}`,
      'French',
    );
    expect(Math.max(...scores.map((s, i) => Math.abs(s - swapped[i]!)))).toBeGreaterThan(1e-3);
  });

  // No self-copy demonstration: EasyEdit's text path has `icl_examples.append(f'New Fact: {new_fact}\nPrompt:
  // {new_fact}\n\n')` commented out (easyeditor/models/ike/ike_main.py line 59 at HEAD); only the multimodal
  // path (line 99) appends it. The test above pins the text read: demonstrations, then the query.
});
