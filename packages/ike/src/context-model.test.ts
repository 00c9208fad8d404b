import { type EditRequest, InvalidRequestError, initBackend, type Tensor, tf } from '@llmedit/core';
import { scoreSharedPrompts } from '@llmedit/evaluate';
import { type CausalLM, generate, KvCache, padBatch, scoreIdPairs, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFactContext,
  clearIkeModel,
  createIkeModel,
  ikeBaseOf,
  ikeFactsOf,
  ikeInputText,
} from './context-model.js';
import { DemoPool } from './demos.js';

const training: EditRequest[] = [
  {
    id: 't1',
    prompt: 'Danielle Darrieux speaks',
    targetNew: 'English',
    rephrasePrompts: ['The mother tongue of Danielle Darrieux is'],
    locality: { neighborhood: [{ prompt: 'Michel Rocard speaks', groundTruth: 'French' }] },
  },
  {
    id: 't2',
    prompt: 'Toko Yasuda plays the',
    targetNew: 'piano',
    rephrasePrompts: ['Toko Yasuda is known for playing the'],
    locality: { neighborhood: [{ prompt: 'Jimi Hendrix plays the', groundTruth: 'guitar' }] },
  },
];
const request: EditRequest = {
  prompt: 'Satyajit Ray speaks',
  subject: 'Satyajit Ray',
  targetNew: 'French',
  rephrasePrompts: ['Satyajit Ray is a native speaker of'],
};
const other: EditRequest = {
  prompt: 'The Eiffel Tower is located in',
  subject: 'Eiffel Tower',
  targetNew: 'Rome',
};

let model: CausalLM;
let pool: DemoPool;

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('micro');
  pool = DemoPool.fromRequests(training);
});
afterAll(() => model.dispose());

function viewOf(requests: readonly EditRequest[], reservedTokens = 8, maxForwardTokens?: number): CausalLM {
  const facts = requests.map((r) => buildFactContext(model, r, pool.retrieve(r, 2), 'similar-first'));
  return createIkeModel(model, facts, {
    reservedTokens,
    ...(maxForwardTokens === undefined ? {} : { maxForwardTokens }),
  });
}

/** Scores of `target` after `prompt` read by the base model behind the given text context. */
function baseScore(contextText: string, prompt: string, target: string) {
  return scoreTargets(model, [{ prompt: `${contextText} ${prompt}`, target }])[0]!;
}

describe('buildFactContext', () => {
  it('tokenizes every context length, and context ++ spaced input is the tokenization of the whole text', () => {
    const fact = buildFactContext(model, request, pool.retrieve(request, 2), 'similar-first');
    expect(fact.contexts).toHaveLength(3);
    expect(fact.contextTexts[0]).toBe('New Fact: Satyajit Ray speaks French\nPrompt:');
    expect(fact.contextTexts[2]!.startsWith('New Fact: Danielle Darrieux speaks English')).toBe(true);
    const tokenizer = model.requireTokenizer();
    for (const [j, text] of fact.contextTexts.entries()) {
      const whole = tokenizer.encode(`${text} ${request.prompt}`);
      const spaced = tokenizer.encodePair('Prompt:', request.prompt).targetIds;
      expect(whole).toEqual([...fact.contexts[j]!, ...spaced]);
    }
  });

  it('puts the closest demonstration next to the fact with similar-last', () => {
    const first = buildFactContext(model, request, pool.retrieve(request, 2), 'similar-first');
    const last = buildFactContext(model, request, pool.retrieve(request, 2), 'similar-last');
    const demos = pool.retrieve(request, 2).map((r) => r.demo.text);
    expect(first.contextTexts[2]).toBe(`${demos[0]}\n\n${demos[1]}\n\n${first.contextTexts[0]}`);
    expect(last.contextTexts[2]).toBe(`${demos[1]}\n\n${demos[0]}\n\n${first.contextTexts[0]}`);
  });
});

describe('createIkeModel', () => {
  it('scores a target exactly as the base model reading the context text', () => {
    const view = viewOf([request]);
    const text = ikeInputText(view, request.prompt);
    expect(text.endsWith(`Prompt: ${request.prompt}`)).toBe(true);
    const context = text.slice(0, -request.prompt.length - 1);
    for (const prompt of [
      request.prompt,
      request.rephrasePrompts![0]!,
      'Vostok Station is located in the continent',
    ]) {
      const viaView = scoreTargets(view, [{ prompt, target: 'French' }])[0]!;
      const direct = baseScore(context, prompt, 'French');
      expect(viaView.argmaxIds).toEqual(direct.argmaxIds);
      viaView.logProbs.forEach((lp, i) => {
        expect(lp).toBeCloseTo(direct.logProbs[i]!, 4);
      });
      // The caller's ids are its own: the context is invisible in the result.
      expect(viaView.promptIds).toEqual(model.requireTokenizer().encode(prompt));
    }
  });

  it('maps all-logits, explicit positions and captured activations back to the caller positions', () => {
    const view = viewOf([request]);
    const ids = model.requireTokenizer().encode('Satyajit Ray speaks French');
    const short = ids.slice(0, 3);
    const batch = padBatch([ids, short], model.padTokenId, 'left');
    const point = model.layout.residual(0);
    const all = view.forward(batch, { logits: 'all', hooks: [{ point, capture: true }] });
    expect(all.logits!.shape).toEqual([2, ids.length, model.config.vocabSize]);
    expect(all.captured[point.key]!.shape).toEqual([2, ids.length, model.config.hiddenSize]);
    const last = ids.length - 1;
    const picked = view.forward(batch, {
      logits: {
        positions: [
          [0, last],
          [1, last],
        ],
      },
    });
    const lastView = view.forward(batch, { logits: 'last' });
    const fromAll = tf.tidy(() =>
      tf.gather(tf.reshape(all.logits as Tensor, [-1, model.config.vocabSize]), [last, ids.length + last]),
    );
    const a = fromAll.dataSync();
    const b = (picked.logits as Tensor).dataSync();
    const c = (lastView.logits as Tensor).dataSync();
    for (let i = 0; i < a.length; i++) {
      expect(b[i]).toBeCloseTo(a[i]!, 4);
      expect(c[i]).toBeCloseTo(a[i]!, 4);
    }
    tf.dispose([all.logits!, all.captured[point.key]!, picked.logits!, lastView.logits!, fromAll]);
  });

  it('continues through a KV cache without repeating the context (generation equals the uncached one)', () => {
    const view = viewOf([request]);
    const cached = generate(view, [request.prompt, 'Vostok Station is located in'], { maxNewTokens: 4 });
    const uncached = generate(view, [request.prompt, 'Vostok Station is located in'], {
      maxNewTokens: 4,
      useCache: false,
    });
    expect(cached.map((g) => g.ids)).toEqual(uncached.map((g) => g.ids));
    const cache = new KvCache();
    const ids = model.requireTokenizer().encode(request.prompt);
    const first = view.forward({ ids: [ids], attentionMask: [ids.map(() => 1)] }, { logits: 'last', cache });
    const contextLength = cache.length - ids.length;
    expect(contextLength).toBeGreaterThan(10);
    const second = view.forward({ ids: [[5]], attentionMask: [[1]] }, { logits: 'last', cache });
    expect(cache.length).toBe(contextLength + ids.length + 1);
    tf.dispose([first.logits!, second.logits!]);
    cache.dispose();
  });

  it('gives the same scores through shared-prompt (cached) and whole-sequence scoring', () => {
    const view = viewOf([request]);
    const tokenizer = model.requireTokenizer();
    const pair = tokenizer.encodePair(request.prompt, 'native French');
    const whole = scoreIdPairs(view, [pair])[0]!;
    const cache = new KvCache();
    const head = view.forward(
      { ids: [pair.promptIds], attentionMask: [pair.promptIds.map(() => 1)] },
      {
        logits: 'last',
        cache,
      },
    );
    const headLogProbs = tf.tidy(() => tf.logSoftmax(head.logits as Tensor).dataSync());
    expect(headLogProbs[pair.targetIds[0]!]).toBeCloseTo(whole.logProbs[0]!, 4);
    const tail = view.forward(
      { ids: [[pair.targetIds[0]!]], attentionMask: [[1]] },
      { logits: 'last', cache },
    );
    const tailLogProbs = tf.tidy(() => tf.logSoftmax(tail.logits as Tensor).dataSync());
    expect(tailLogProbs[pair.targetIds[1]!]).toBeCloseTo(whole.logProbs[1]!, 4);
    tf.dispose([head.logits!, tail.logits!]);
    cache.dispose();
  });

  it('reads each input with the fact it names when it holds several', () => {
    const view = viewOf([request, other]);
    expect(ikeInputText(view, 'The Eiffel Tower is in')).toContain(
      'New Fact: The Eiffel Tower is located in Rome\nPrompt: The Eiffel Tower is in',
    );
    expect(ikeInputText(view, 'Satyajit Ray was born in')).toContain(
      'New Fact: Satyajit Ray speaks French\nPrompt:',
    );
    // No overlap at all: the newest fact.
    expect(ikeInputText(view, 'zzz')).toContain('New Fact: The Eiffel Tower is located in Rome');
    const scores = scoreTargets(view, [
      { prompt: 'The Eiffel Tower is in', target: 'Rome' },
      { prompt: 'Satyajit Ray was born in', target: 'India' },
    ]);
    const direct = [
      baseScore(
        ikeInputText(view, 'The Eiffel Tower is in').slice(0, -'The Eiffel Tower is in'.length - 1),
        'The Eiffel Tower is in',
        'Rome',
      ),
      baseScore(
        ikeInputText(view, 'Satyajit Ray was born in').slice(0, -'Satyajit Ray was born in'.length - 1),
        'Satyajit Ray was born in',
        'India',
      ),
    ];
    scores.forEach((s, i) => {
      expect(s.logProbs[0]).toBeCloseTo(direct[i]!.logProbs[0]!, 4);
    });
  });

  it('drops demonstrations, least similar first, when the input would not fit', () => {
    const facts = [buildFactContext(model, request, pool.retrieve(request, 2), 'similar-first')];
    const full = facts[0]!.contexts[2]!.length;
    const one = facts[0]!.contexts[1]!.length;
    const ids = model.requireTokenizer().encode(request.prompt);
    // Leave room for exactly the one-demonstration context.
    const reserved = model.config.maxPositions - ids.length - one;
    expect(full).toBeGreaterThan(one);
    const view = createIkeModel(model, facts, { reservedTokens: reserved });
    expect(ikeInputText(view, request.prompt)).toBe(`${facts[0]!.contextTexts[1]} ${request.prompt}`);
  });

  it('throws a typed error naming the row when even the bare fact does not fit', () => {
    const view = viewOf([request]);
    const long = Array.from({ length: model.config.maxPositions }, () => 65);
    expect(() =>
      view.forward({ ids: [long], attentionMask: [long.map(() => 1)] }, { logits: 'last' }),
    ).toThrow(InvalidRequestError);
    try {
      view.forward({ ids: [long], attentionMask: [long.map(() => 1)] }, { logits: 'last' });
    } catch (error) {
      expect((error as InvalidRequestError).field).toBe('ids[0]');
    }
  });

  it('rejects replace hooks and startAtLayer with typed errors', () => {
    const view = viewOf([request]);
    const ids = model.requireTokenizer().encode(request.prompt);
    const batch = { ids: [ids], attentionMask: [ids.map(() => 1)] };
    const point = model.layout.residual(0);
    expect(() => view.forward(batch, { hooks: [{ point, replace: (x) => x }] })).toThrow(/hooks/);
    const hidden = tf.zeros([1, ids.length, model.config.hiddenSize]) as never;
    expect(() => view.forward(batch, { startAtLayer: { layer: 1, hidden } })).toThrow(/startAtLayer/);
    tf.dispose(hidden);
  });

  it('shares the base weights, has its own model id, and reads as the base once cleared', () => {
    const view = viewOf([request]);
    expect(ikeBaseOf(view)).toBe(model);
    expect(view.modelId).not.toBe(model.modelId);
    expect(view.modelId.startsWith(model.modelId)).toBe(true);
    expect(view.weightNames()).toEqual(model.weightNames());
    expect(view.weight(view.weightNames()[0]!)).toBe(model.weight(model.weightNames()[0]!));
    const before = scoreTargets(model, [{ prompt: request.prompt, target: 'French' }])[0]!;
    const edited = scoreTargets(view, [{ prompt: request.prompt, target: 'French' }])[0]!;
    expect(edited.logProbs[0]).not.toBeCloseTo(before.logProbs[0]!, 3);
    clearIkeModel(view);
    expect(ikeFactsOf(view)).toHaveLength(0);
    const after = scoreTargets(view, [{ prompt: request.prompt, target: 'French' }])[0]!;
    expect(after.logProbs).toEqual(before.logProbs);
    view.dispose(); // frees nothing: the base model still works
    expect(scoreTargets(model, [{ prompt: request.prompt, target: 'French' }])[0]!.logProbs).toEqual(
      before.logProbs,
    );
  });

  it('leaves tf.memory().numTensors unchanged over scoring and generation', () => {
    const view = viewOf([request, other]);
    scoreTargets(view, [{ prompt: request.prompt, target: 'French' }]); // warm-up (kernel setup)
    const before = tf.memory().numTensors;
    scoreTargets(view, [
      { prompt: request.prompt, target: 'French' },
      { prompt: other.prompt, target: 'Rome' },
    ]);
    generate(view, [request.prompt], { maxNewTokens: 3 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('splits a large rewritten batch into several forwards with the same results', () => {
    const whole = viewOf([request, other]);
    // Room for about one rewritten row per forward: every path below runs group by group.
    const split = viewOf([request, other], 8, 40);
    const tokenizer = model.requireTokenizer();
    const pairs = [
      tokenizer.encodePair(request.prompt, 'native French'),
      tokenizer.encodePair(other.prompt, 'the city of Rome'),
      tokenizer.encodePair('Vostok Station is located in the continent', 'of Antarctica'),
    ];
    const a = scoreSharedPrompts(whole, pairs);
    const b = scoreSharedPrompts(split, pairs);
    a.forEach((score, i) => {
      expect(b[i]!.argmaxIds).toEqual(score.argmaxIds);
      score.logProbs.forEach((lp, j) => {
        expect(b[i]!.logProbs[j]).toBeCloseTo(lp, 4);
      });
    });
    const prompts = [request.prompt, other.prompt, 'Vostok Station is located in'];
    expect(generate(split, prompts, { maxNewTokens: 3 }).map((g) => g.ids)).toEqual(
      generate(whole, prompts, { maxNewTokens: 3 }).map((g) => g.ids),
    );
    const batch = padBatch(
      pairs.map((p) => p.promptIds),
      model.padTokenId,
      'left',
    );
    const point = model.layout.residual(1);
    // Interleaved rows in the requested positions come back in the caller's order.
    const positions: [number, number][] = [
      [2, batch.ids[0]!.length - 1],
      [0, batch.ids[0]!.length - 1],
      [1, batch.ids[0]!.length - 2],
    ];
    const x = whole.forward(batch, { logits: { positions }, hooks: [{ point, capture: true }] });
    const y = split.forward(batch, { logits: { positions }, hooks: [{ point, capture: true }] });
    expect(y.logits!.shape).toEqual(x.logits!.shape);
    expect(y.captured[point.key]!.shape).toEqual(x.captured[point.key]!.shape);
    const diff = tf.tidy(() =>
      Math.max(
        tf.max(tf.abs(tf.sub(x.logits as Tensor, y.logits as Tensor))).dataSync()[0]!,
        tf.max(tf.abs(tf.sub(x.captured[point.key]!, y.captured[point.key]!))).dataSync()[0]!,
      ),
    );
    expect(diff).toBeLessThan(1e-3);
    tf.dispose([x.logits!, y.logits!, x.captured[point.key]!, y.captured[point.key]!]);
  });

  it('leaves tf.memory().numTensors unchanged when it splits a batch', () => {
    const split = viewOf([request, other], 8, 40);
    const tokenizer = model.requireTokenizer();
    const pairs = [
      tokenizer.encodePair(request.prompt, 'native French'),
      tokenizer.encodePair(other.prompt, 'the city of Rome'),
    ];
    scoreSharedPrompts(split, pairs);
    const before = tf.memory().numTensors;
    scoreSharedPrompts(split, pairs);
    generate(split, [request.prompt, other.prompt], { maxNewTokens: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
