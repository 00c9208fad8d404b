// Meta-training data for hypernetwork editors (MEND, Mitchell et al. 2022 sec. 3.2; KE, De Cao et al. 2021
// sec. 3): an edit (x_e, y_e), an equivalent input x'_e (a rephrase), and an unrelated input x_loc.
import { createRng, type EditRequest, type Rng, type Tensor, tf } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { requestExample, type TargetExample, targetExample } from './factors.js';
import { type MetaItem, nextTokenLogProbs } from './meta-loss.js';

/** One sampled meta-training edit before the base model's locality predictions are attached. */
export interface MetaSample {
  /** The request's prompt and new target. */
  readonly edit: TargetExample;
  /** One of its rephrases with the new target, when asked for and the request has any. */
  readonly rephrase: TargetExample | undefined;
  /** An unrelated token sequence. */
  readonly localityIds: number[];
}

/** Unrelated sequences for a request: its own locality prompts with their answers (ZsRE's NQ questions, CounterFact's neighbours). */
function localityTexts(request: EditRequest): string[] {
  return Object.values(request.locality ?? {})
    .flat()
    .map((l) => (l.groundTruth === undefined ? l.prompt : `${l.prompt} ${l.groundTruth}`));
}

/**
 * Sample `pool[index]` as a meta-training edit: its prompt example, a random rephrase if `rephrase`, and
 * half the time one of its own locality texts, else another record's prompt (both unrelated to the edit).
 */
export function metaSample(
  model: CausalLM,
  pool: readonly EditRequest[],
  index: number,
  options: { readonly maxLength: number; readonly rephrase: boolean },
  rng: Rng,
): MetaSample {
  const request = pool[index]!;
  const edit = requestExample(model, request, options.maxLength, index);
  const rephrases = request.rephrasePrompts ?? [];
  const rephrase =
    options.rephrase && rephrases.length > 0
      ? targetExample(model, rephrases[rng.int(rephrases.length)]!, request.targetNew, options.maxLength)
      : undefined;
  const own = localityTexts(request);
  let text: string;
  if (own.length > 0 && rng.next() < 0.5) text = own[rng.int(own.length)]!;
  else {
    let other = rng.int(pool.length - 1);
    if (other >= index) other++;
    text = pool[other]?.prompt ?? request.prompt;
  }
  const ids = model.requireTokenizer().encode(text).slice(0, options.maxLength);
  return { edit, rephrase, localityIds: ids.length > 0 ? ids : edit.promptIds.slice() };
}

/** Meta-loss items: each sample's loss example with the unedited model's predictions on its locality sequence. */
export function metaItems(
  model: CausalLM,
  samples: readonly { readonly loss: TargetExample; readonly localityIds: readonly number[] }[],
): MetaItem[] {
  const base = nextTokenLogProbs(
    model,
    samples.map((s) => s.localityIds),
  );
  return samples.map((s, i) => ({ edit: s.loss, localityIds: s.localityIds, localityBase: base[i]! }));
}

/**
 * The training requests in a seeded order, split into validation edits (the first `validationEdits`, at
 * most a third) and the pool trained on; returns the generator that continues the same seeded stream.
 */
export function splitTrainingPool(
  requests: readonly EditRequest[],
  seed: number,
  validationEdits: number,
): { rng: Rng; validationPool: EditRequest[]; trainPool: EditRequest[] } {
  const rng = createRng(seed);
  const order = requests.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const shuffled = order.map((i) => requests[i]!);
  const validationCount = Math.min(validationEdits, Math.floor(shuffled.length / 3));
  return {
    rng,
    validationPool: shuffled.slice(0, validationCount),
    trainPool: shuffled.slice(validationCount),
  };
}

/** Adds weight deltas to the model's weights; returns the snapshot that undoes it. */
export function applyDeltas(model: CausalLM, deltas: ReadonlyMap<string, Tensor>) {
  const snapshot = model.snapshotWeights([...deltas.keys()]);
  for (const [name, delta] of deltas) {
    const next = tf.add(model.weight(name), delta);
    model.setWeight(name, next);
    next.dispose();
  }
  return snapshot;
}

/**
 * Teacher-forced accuracy of an edit's target tokens: the argmax after each prompt/target prefix equals the
 * next target token; returns the hits and the number of target tokens.
 */
export function targetHits(model: CausalLM, example: TargetExample): { hits: number; tokens: number } {
  const ids = [...example.promptIds, ...example.targetIds.slice(0, -1)];
  const logProbs = nextTokenLogProbs(model, [ids])[0]!;
  const vocab = model.config.vocabSize;
  let hits = 0;
  example.targetIds.forEach((id, k) => {
    const row = logProbs.subarray(
      (example.promptIds.length - 1 + k) * vocab,
      (example.promptIds.length + k) * vocab,
    );
    let best = 0;
    for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
    if (best === id) hits++;
  });
  return { hits, tokens: example.targetIds.length };
}
