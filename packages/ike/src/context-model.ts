import { type EditRequest, InvalidRequestError, type Tensor, type Tensor3D, tf } from '@llmedit/core';
import { fnv1a32 } from '@llmedit/datasets';
import type { CausalLM, ForwardOptions, ForwardResult, LogitsSelection, TokenBatch } from '@llmedit/models';
import { KvCache, padBatch } from '@llmedit/models';
import { formatIkePrompt, type IkeFact } from '@llmedit/pretrained';
import { Bm25Index } from './bm25.js';
import type { RetrievedDemo } from './demos.js';
import type { DemoOrder } from './hparams.js';

/**
 * The text before the model's input: "...\nPrompt:". The input then follows after one space, tokenized as
 * the pretraining text was ("Prompt: Paris" gives ' Paris', not 'Paris').
 */
const CONTEXT_END = 'Prompt:';

/** One edited fact held in an IKE memory: its demonstrations and its context, tokenized once. */
export interface IkeFactContext {
  readonly request: EditRequest;
  /** The retrieved demonstrations, most similar first. */
  readonly retrieved: readonly RetrievedDemo[];
  /**
   * `contexts[j]` is the context with the j most similar demonstrations, as token ids (no BOS): the text
   * "demo ... \n\nNew Fact: {p} {t}\nPrompt:". The longest that fits the input is used.
   */
  readonly contexts: readonly (readonly number[])[];
  /** `contextTexts[j]`: the text of `contexts[j]`. */
  readonly contextTexts: readonly string[];
}

/**
 * Tokenize the contexts of one fact for every number of demonstrations 0..retrieved.length. Whole texts
 * are tokenized (not demonstrations one by one) because BPE merges across the "\n\n" separators.
 */
export function buildFactContext(
  model: CausalLM,
  request: EditRequest,
  retrieved: readonly RetrievedDemo[],
  order: DemoOrder,
): IkeFactContext {
  const tokenizer = model.requireTokenizer();
  const fact: IkeFact = { prompt: request.prompt, target: request.targetNew };
  const contextTexts: string[] = [];
  const contexts: number[][] = [];
  for (let j = 0; j <= retrieved.length; j++) {
    const chosen = retrieved.slice(0, j).map((r) => r.demo.text);
    if (order === 'similar-last') chosen.reverse();
    // formatIkePrompt ends with "Prompt: " for an empty probe; the input brings its own leading space.
    const text = formatIkePrompt(chosen, fact, '').trimEnd();
    contextTexts.push(text);
    contexts.push(tokenizer.encode(text));
  }
  return { request, retrieved, contexts, contextTexts };
}

/**
 * Reject a fact whose own prompt and target do not fit the model after the fact's shortest context (no
 * demonstrations): no input could be read in its context, and every input routed to it would fail.
 */
export function checkFactFits(model: CausalLM, fact: IkeFactContext, record: string): void {
  const tokenizer = model.requireTokenizer();
  const bos =
    model.config.architecture === 'llama' && (tokenizer.bosTokenId ?? model.config.bosTokenId) !== undefined
      ? 1
      : 0;
  const context = (fact.contexts[0] as readonly number[]).length;
  const input = tokenizer.encodePair(CONTEXT_END, fact.request.prompt).targetIds.length;
  const target = tokenizer.encodePair(fact.request.prompt, fact.request.targetNew).targetIds.length;
  const needed = bos + context + input + target;
  if (needed > model.config.maxPositions) {
    throw new InvalidRequestError(
      record,
      'prompt',
      `needs ${needed} positions with its target after the new fact's context (${context} tokens, no ` +
        `demonstrations); the model has ${model.config.maxPositions}`,
    );
  }
}

/** What the wrapper needs besides the base model. */
export interface IkeModelOptions {
  /** See `IkeHparams.reservedTokens`. */
  readonly reservedTokens: number;
  /** Padded tokens per forward of the rewritten batch (default `MAX_FORWARD_TOKENS`). */
  readonly maxForwardTokens?: number;
}

interface WrapperState {
  readonly base: CausalLM;
  facts: IkeFactContext[];
  readonly reservedTokens: number;
  readonly maxForwardTokens: number;
  /** BM25 over the facts' prompts, rephrases and subjects: which fact an input is about. */
  selector: Bm25Index | undefined;
}

const states = new WeakMap<CausalLM, WrapperState>();

/** One row of the original batch, rewritten with its context. */
interface RowPlan {
  ids: number[];
  /** New index of every original position (-1 for pads). */
  map: Int32Array;
  fact: IkeFactContext;
  demos: number;
}

function commonSuffix(a: readonly number[], b: readonly number[]): number {
  let c = 0;
  while (c < a.length && c < b.length && a[a.length - 1 - c] === b[b.length - 1 - c]) c++;
  return c;
}

function selectionText(request: EditRequest): string {
  return [request.prompt, ...(request.rephrasePrompts ?? []), request.subject ?? ''].join('\n');
}

/**
 * The fact an input is about: with one fact, that fact; with several (sequential or batch edits), the one
 * whose subject the input names, else the best BM25 match of its prompt and rephrases, ties to the most
 * recent edit (the newest fact wins, as a later edit overrides an earlier one).
 */
function selectFact(state: WrapperState, text: string): IkeFactContext {
  const { facts } = state;
  if (facts.length === 1) return facts[0] as IkeFactContext;
  state.selector ??= new Bm25Index(facts.map((f) => selectionText(f.request)));
  const scores = state.selector.scores(text);
  const lower = text.toLowerCase();
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  facts.forEach((fact, i) => {
    const subject = fact.request.subject?.toLowerCase();
    // Naming the subject outranks any lexical overlap: the subject is what the edit is about.
    const score =
      (scores[i] as number) + (subject !== undefined && subject !== '' && lower.includes(subject) ? 1e6 : 0);
    if (score >= bestScore) {
      best = i;
      bestScore = score;
    }
  });
  return facts[best] as IkeFactContext;
}

function planRow(state: WrapperState, ids: readonly number[], mask: readonly number[], row: number): RowPlan {
  const { base } = state;
  const tokenizer = base.requireTokenizer();
  const real: number[] = [];
  const at: number[] = [];
  ids.forEach((id, t) => {
    if (mask[t] === 1) {
      real.push(id);
      at.push(t);
    }
  });
  if (real.length === 0) {
    throw new InvalidRequestError(
      'ike model',
      `attentionMask[${row}]`,
      'has no real token to edit in context',
    );
  }
  const bosId = tokenizer.bosTokenId ?? base.config.bosTokenId;
  const hasBos = base.config.architecture === 'llama' && bosId !== undefined && real[0] === bosId;
  const bos = hasBos ? [bosId as number] : [];
  const body = real.slice(bos.length);
  const text = tokenizer.decode(body);
  const spaced = body.length === 0 ? [] : tokenizer.encodePair(CONTEXT_END, text).targetIds;
  const fact = selectFact(state, text);
  const room = base.config.maxPositions - bos.length - spaced.length;
  let demos = fact.contexts.length - 1;
  while (demos > 0 && (fact.contexts[demos] as number[]).length + state.reservedTokens > room) demos--;
  const context = fact.contexts[demos] as readonly number[];
  if (context.length > room) {
    throw new InvalidRequestError(
      'ike model',
      `ids[${row}]`,
      `has ${real.length} tokens; with the new fact's context (${context.length} tokens, no demonstrations) ` +
        `it exceeds the model's ${base.config.maxPositions} positions`,
    );
  }
  // The input is re-tokenized after "Prompt:" with its leading space. Byte-level BPE splits words before
  // merging, so only the first word's tokens can differ: the shared suffix maps one to one, and the first
  // word's positions all map to its last token (the position whose logits predict what follows it).
  const offset = bos.length + context.length;
  const n = body.length;
  const m = spaced.length;
  const shared = commonSuffix(body, spaced);
  const map = new Int32Array(ids.length).fill(-1);
  at.forEach((t, k) => {
    if (hasBos && k === 0) {
      map[t] = 0;
      return;
    }
    const i = k - bos.length;
    map[t] = offset + (i >= n - shared ? i + (m - n) : Math.max(0, m - shared - 1));
  });
  return { ids: [...bos, ...context, ...spaced], map, fact, demos };
}

function mapSelection(
  selection: LogitsSelection,
  plans: readonly RowPlan[],
  length: number,
): { mapped: LogitsSelection; reshapeAll: boolean } {
  if (selection === 'last' || selection === 'none') return { mapped: selection, reshapeAll: false };
  const position = (b: number, t: number): [number, number] => {
    if (b < 0 || b >= plans.length || t < 0 || t >= length) {
      throw new InvalidRequestError(
        'forward',
        'logits.positions',
        `(${b}, ${t}) is outside [${plans.length}, ${length}]`,
      );
    }
    const to = (plans[b] as RowPlan).map[t] as number;
    // Pads have no logits of their own; any real position serves (callers mask them out).
    return [b, Math.max(0, to)];
  };
  if (selection === 'all') {
    const positions: [number, number][] = [];
    for (let b = 0; b < plans.length; b++) for (let t = 0; t < length; t++) positions.push(position(b, t));
    return { mapped: { positions }, reshapeAll: true };
  }
  return { mapped: { positions: selection.positions.map(([b, t]) => position(b, t)) }, reshapeAll: false };
}

/** Pick each original position's activation out of the rewritten batch: [B, L', W] -> [B, L, W]. */
function gatherOriginal(activation: Tensor3D, plans: readonly RowPlan[], length: number): Tensor3D {
  const [batch, newLength, width] = activation.shape;
  const rows = new Int32Array(batch * length);
  plans.forEach((plan, b) => {
    for (let t = 0; t < length; t++)
      rows[b * length + t] = b * newLength + Math.max(0, plan.map[t] as number);
  });
  return tf.tidy(() =>
    tf.reshape(tf.gather(tf.reshape(activation, [batch * newLength, width]), tf.tensor1d(rows, 'int32')), [
      batch,
      length,
      width,
    ]),
  );
}

function contextualForward(state: WrapperState, batch: TokenBatch, options: ForwardOptions): ForwardResult {
  const { base } = state;
  // No fact (reverted), or a continuation whose KV cache already holds the context: the input is as is.
  if (state.facts.length === 0 || (options.cache !== undefined && options.cache.length > 0)) {
    return base.forward(batch, options);
  }
  if (options.startAtLayer !== undefined) {
    throw new InvalidRequestError(
      'ike model',
      'startAtLayer',
      'cannot resume inside an in-context edit: the context changes the hidden states of every position',
    );
  }
  if (options.hooks?.some((hook) => hook.replace !== undefined)) {
    throw new InvalidRequestError(
      'ike model',
      'hooks',
      'may only capture on an in-context edit (replace hooks would see the context positions too)',
    );
  }
  const length = batch.ids[0]?.length ?? 0;
  if (batch.ids.length === 0 || batch.attentionMask.length !== batch.ids.length) {
    return base.forward(batch, options); // the base model's checks name the problem
  }
  batch.ids.forEach((row, b) => {
    if (row.length !== length || batch.attentionMask[b]?.length !== length) {
      throw new InvalidRequestError(
        'token batch',
        `ids[${b}]`,
        'rows of ids and attentionMask must all have one length',
      );
    }
  });
  const plans = batch.ids.map((row, b) => planRow(state, row, batch.attentionMask[b] as number[], b));
  const selection = options.stopAfterLayer === undefined ? (options.logits ?? 'all') : 'none';
  const { mapped, reshapeAll } = mapSelection(selection, plans, length);
  const groups = consecutiveGroups(
    plans.map((p) => p.ids.length),
    state.maxForwardTokens,
  );
  const out =
    groups.length === 1
      ? forwardGroup(base, plans, 0, plans.length, mapped, length, options, options.cache)
      : forwardInGroups(base, plans, groups, mapped, length, options);
  let logits: Tensor | undefined = out.logits;
  if (reshapeAll && logits !== undefined) {
    const flat = logits;
    logits = tf.reshape(flat, [plans.length, length, base.config.vocabSize]);
    flat.dispose();
  }
  return { logits, captured: out.captured };
}

/**
 * Padded tokens per forward of the rewritten batch. Callers size their batches by their own token counts
 * (`maxBatchTokens`, 4096 by default); the context multiplies them (a 10-token prompt becomes ~150 tokens),
 * and one forward keeps all its intermediates alive until it returns, so an unsplit batch of hundreds of
 * prompts would exhaust the 4 GB wasm heap.
 */
export const MAX_FORWARD_TOKENS = 4096;

/** Consecutive runs of rows whose padded size stays under `maxTokens` (order kept: results concatenate). */
function consecutiveGroups(lengths: readonly number[], maxTokens: number): [number, number][] {
  const groups: [number, number][] = [];
  let start = 0;
  let longest = 0;
  lengths.forEach((n, i) => {
    const next = Math.max(longest, n);
    if (i > start && next * (i - start + 1) > maxTokens) {
      groups.push([start, i]);
      start = i;
      longest = n;
    } else {
      longest = next;
    }
  });
  if (lengths.length > 0) groups.push([start, lengths.length]);
  return groups;
}

/** Forward rows [start, end) of the rewritten batch; positions are the caller's, rows re-based to the group. */
function forwardGroup(
  base: CausalLM,
  plans: readonly RowPlan[],
  start: number,
  end: number,
  selection: LogitsSelection,
  length: number,
  options: ForwardOptions,
  cache: KvCache | undefined,
): ForwardResult {
  const group = plans.slice(start, end);
  const rewritten = padBatch(
    group.map((p) => p.ids),
    base.padTokenId,
    'right',
  );
  const logits: LogitsSelection =
    typeof selection === 'object'
      ? { positions: selection.positions.map(([b, t]) => [b - start, t] as [number, number]) }
      : selection;
  const { cache: _ignored, ...rest } = options;
  const out = base.forward(
    { ids: rewritten.ids, attentionMask: rewritten.attentionMask },
    { ...rest, logits, ...(cache === undefined ? {} : { cache }) },
  );
  const captured: Record<string, Tensor3D> = {};
  for (const [key, activation] of Object.entries(out.captured)) {
    captured[key] = gatherOriginal(activation, group, length);
    activation.dispose();
  }
  return { logits: out.logits, captured };
}

/**
 * Forward a batch too large for one pass, group by group, and put the pieces back in the caller's order:
 * logits by position (the caller's positions may interleave rows), captured activations by row, and the KV
 * caches of the groups merged into the caller's (keys right-padded with masked slots to one length).
 */
function forwardInGroups(
  base: CausalLM,
  plans: readonly RowPlan[],
  groups: readonly [number, number][],
  selection: LogitsSelection,
  length: number,
  options: ForwardOptions,
): ForwardResult {
  const caches = options.cache === undefined ? undefined : groups.map(() => new KvCache());
  const logitParts: Tensor[] = [];
  const captured: Record<string, Tensor3D[]> = {};
  const order: number[] = []; // caller position index of each row of the concatenated logits
  try {
    groups.forEach(([start, end], g) => {
      let groupSelection = selection;
      if (typeof selection === 'object') {
        const mine: [number, number][] = [];
        selection.positions.forEach(([b, t], i) => {
          if (b >= start && b < end) {
            mine.push([b, t]);
            order.push(i);
          }
        });
        // A group with no requested logits still runs when its rows must enter the cache.
        if (mine.length === 0 && caches === undefined) return;
        groupSelection = mine.length === 0 ? 'none' : { positions: mine };
      }
      const out = forwardGroup(base, plans, start, end, groupSelection, length, options, caches?.[g]);
      if (out.logits !== undefined) logitParts.push(out.logits);
      for (const [key, activation] of Object.entries(out.captured)) {
        const parts = captured[key] ?? [];
        parts.push(activation);
        captured[key] = parts;
      }
    });
    let logits: Tensor | undefined;
    if (logitParts.length > 0) {
      logits = tf.tidy(() => {
        const joined = tf.concat(logitParts, 0);
        if (typeof selection !== 'object') return joined;
        const inverse = new Int32Array(order.length);
        order.forEach((callerIndex, row) => {
          inverse[callerIndex] = row;
        });
        return tf.gather(joined, tf.tensor1d(inverse, 'int32'));
      });
    }
    const joinedCaptured: Record<string, Tensor3D> = {};
    for (const [key, parts] of Object.entries(captured)) {
      joinedCaptured[key] = tf.concat(parts, 0) as Tensor3D;
    }
    if (caches !== undefined && options.cache !== undefined && options.readOnlyCache !== true) {
      mergeCaches(options.cache, caches);
    }
    return { logits, captured: joinedCaptured };
  } finally {
    tf.dispose(logitParts);
    for (const parts of Object.values(captured)) tf.dispose(parts);
    for (const cache of caches ?? []) cache.dispose();
  }
}

/** Concatenate the groups' caches row-wise into `target`, right-padding keys, values and masks to one length. */
function mergeCaches(target: KvCache, parts: readonly KvCache[]): void {
  const longest = Math.max(...parts.map((c) => c.length));
  const layers = parts[0]?.keys.length ?? 0;
  const join = (pick: (c: KvCache) => Tensor[]) =>
    Array.from({ length: layers }, (_, l) =>
      tf.tidy(() =>
        tf.concat(
          parts.map((c) => {
            const t = pick(c)[l] as Tensor;
            const missing = longest - (t.shape[2] as number);
            return missing === 0
              ? t
              : tf.pad(t, [
                  [0, 0],
                  [0, 0],
                  [0, missing],
                  [0, 0],
                ]);
          }),
          0,
        ),
      ),
    );
  const keys = join((c) => c.keys);
  const values = join((c) => c.values);
  tf.dispose([...target.keys, ...target.values]);
  target.keys = keys;
  target.values = values;
  target.mask = parts.flatMap((c) =>
    c.mask.map((row) => [...row, ...new Array<number>(longest - row.length).fill(0)]),
  );
}

/**
 * A view of `base` that reads every input after its IKE context: the retrieved demonstrations, then
 * "New Fact: {prompt} {target}\nPrompt:" and the input (reference/easyedit.md section 2.8). It is a
 * `CausalLM` (it inherits from `base`, sharing its weights and tokenizer), so `scoreTargets`, `generate`
 * and every `@llmedit/evaluate` metric run on it unchanged; positions, masks and KV caches are translated so
 * that the caller's token positions keep their meaning. Its `modelId` differs from the base's (its outputs
 * do), and `dispose()` frees nothing: the weights belong to the base model.
 */
export function createIkeModel(
  base: CausalLM,
  facts: readonly IkeFactContext[],
  options: IkeModelOptions,
): CausalLM {
  const state: WrapperState = {
    base,
    facts: [...facts],
    reservedTokens: options.reservedTokens,
    maxForwardTokens: options.maxForwardTokens ?? MAX_FORWARD_TOKENS,
    selector: undefined,
  };
  const digest = fnv1a32(facts.map((f) => f.contextTexts.at(-1) ?? '').join('\u0001'))
    .toString(16)
    .padStart(8, '0');
  // Prototype delegation keeps every CausalLM member (weights, layout, tokenizer, head) the base's own.
  const wrapper = Object.create(base) as CausalLM;
  Object.defineProperties(wrapper, {
    modelId: { value: `${base.modelId}+ike-${digest}`, enumerable: true },
    forward: {
      value: (batch: TokenBatch, forwardOptions: ForwardOptions = {}) =>
        contextualForward(state, batch, forwardOptions),
    },
    dispose: { value: () => undefined },
  });
  states.set(wrapper, state);
  return wrapper;
}

/** Whether `model` is an IKE view made by `createIkeModel` (and which base model it reads through). */
export function ikeBaseOf(model: CausalLM): CausalLM | undefined {
  return states.get(model)?.base;
}

/** The facts an IKE view holds (empty after its edit was restored). */
export function ikeFactsOf(model: CausalLM): readonly IkeFactContext[] {
  return states.get(model)?.facts ?? [];
}

/** Forget every fact of an IKE view: it then reads inputs exactly as its base model. */
export function clearIkeModel(model: CausalLM): void {
  const state = states.get(model);
  if (state === undefined) return;
  state.facts = [];
  state.selector = undefined;
}

/**
 * The text an IKE view reads for `prompt`: the chosen fact's context (with as many demonstrations as fit)
 * and the prompt. For inspection and tests; the forward pass works on token ids.
 */
export function ikeInputText(model: CausalLM, prompt: string): string {
  const state = states.get(model);
  if (state === undefined || state.facts.length === 0) return prompt;
  const ids = model.requireTokenizer().encode(prompt);
  const plan = planRow(
    state,
    ids,
    ids.map(() => 1),
    0,
  );
  return `${plan.fact.contextTexts[plan.demos] as string} ${prompt}`;
}
