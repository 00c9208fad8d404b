import { type EditRequest, InvalidRequestError, type Tensor, tf } from '@llmedit/core';
import { fnv1a32 } from '@llmedit/datasets';
import type { CausalLM, ForwardOptions, ForwardResult, KvCache, TokenBatch } from '@llmedit/models';
import type { SeracArtifact } from './artifact-format.js';
import { type CopyProposal, copyProposal, editAnswerIds, editStatement, mixCopy } from './copy.js';
import { textFeatures } from './features.js';
import { type ProjectedText, projectText, scopeProbability } from './scope-classifier.js';

/** One edit in a SERAC memory: the request, its classifier projection and its context for the counterfactual model. */
export interface SeracEdit {
  readonly request: EditRequest;
  readonly projected: ProjectedText;
  /** Token ids of `editStatement(request)`. */
  readonly contextIds: readonly number[];
  /** The new answer's tokens, for the copy mechanism (`editAnswerIds`). */
  readonly answerIds: readonly number[];
  /** False once the edit that added it was restored. */
  live: boolean;
}

/** Project and tokenize edits for `artifact` (one partial base forward for all of them). */
export function prepareEdits(
  base: CausalLM,
  artifact: SeracArtifact,
  requests: readonly EditRequest[],
): SeracEdit[] {
  const features = textFeatures(
    base,
    requests.map((r) => r.prompt),
    artifact.config.classifierLayer,
  );
  const tokenizer = artifact.counterfactual.requireTokenizer();
  const { config } = artifact.counterfactual;
  const bos =
    config.architecture === 'llama' && (tokenizer.bosTokenId ?? config.bosTokenId) !== undefined ? 1 : 0;
  return requests.map((request, i) => {
    const contextIds = tokenizer.encode(editStatement(request));
    const answerIds = editAnswerIds(tokenizer, request.targetNew);
    // The counterfactual model reads an input after the edit's context: an edit whose own prompt and
    // answer do not fit after it could never be answered, and any input routed to it would fail.
    const { promptIds, targetIds } = tokenizer.encodePair(request.prompt, request.targetNew);
    const needed = bos + contextIds.length + promptIds.length + targetIds.length;
    if (needed > config.maxPositions) {
      throw new InvalidRequestError(
        request.id ?? `request ${i}`,
        'prompt',
        `needs ${needed} positions with its answer after the edit's context (${contextIds.length} tokens); ` +
          `the counterfactual model has ${config.maxPositions}`,
      );
    }
    return {
      request,
      projected: projectText(artifact.classifier, features[i] as (typeof features)[number], true),
      contextIds,
      answerIds,
      live: true,
    };
  });
}

/** Where one row of a batch is read: by the base model as is, or by the counterfactual model after an edit. */
export interface SeracRoute {
  /** The chosen edit, or undefined for the base model. */
  readonly edit: SeracEdit | undefined;
  /** Scope probability of the nearest live edit (0 with none). */
  readonly probability: number;
  /** The nearest live edit whatever its probability (the soft mixture's counterfactual reads it). */
  readonly nearest?: SeracEdit | undefined;
}

/**
 * How scores combine the two models. `hard`: the row goes to the counterfactual model when the nearest
 * edit's scope probability s exceeds the threshold, else to the base model. `soft` (EasyEdit's
 * `SERAC.forward` with `supervised: false`): p = (1 - s) p_base + s p_cf for every row, returned as log p;
 * forwards that select only the `'last'` logits (what `generate` reads) still route hard, as EasyEdit's
 * `SERAC.generate` does.
 */
export type SeracMixture = 'soft' | 'hard';

interface ViewState {
  readonly base: CausalLM;
  readonly artifact: SeracArtifact;
  readonly edits: readonly SeracEdit[];
  readonly threshold: number;
  readonly mixture: SeracMixture;
  /** Whether the counterfactual model's logits get the copy mechanism (`serac-copy`). */
  readonly copy: boolean;
  /**
   * Decoding with a KV cache: each cache row this view filled, keyed by the row's mask array, with the token
   * ids fed so far and the row's route. Keyed by row, not by cache, because callers branch a cache by copying
   * rows into a new KvCache (`scoreSharedPrompts` repeats each prompt row per answer), and the copied rows
   * are these arrays.
   */
  readonly replays: WeakMap<readonly number[], { ids: readonly number[]; route: SeracRoute }>;
}

const states = new WeakMap<CausalLM, ViewState>();

function liveEdits(state: ViewState): SeracEdit[] {
  return state.edits.filter((e) => e.live);
}

/** The real (unpadded) tokens of a row, without a LLaMA BOS. */
function realTokens(
  state: ViewState,
  ids: readonly number[],
  mask: readonly number[],
): { bos: number[]; body: number[] } {
  const real = ids.filter((_, t) => mask[t] === 1);
  const bosId = state.base.requireTokenizer().bosTokenId ?? state.base.config.bosTokenId;
  const hasBos = state.base.config.architecture === 'llama' && bosId !== undefined && real[0] === bosId;
  return hasBos ? { bos: [bosId as number], body: real.slice(1) } : { bos: [], body: real };
}

/** SERAC's routing (section 3.1): the nearest live edit by scope probability, if above the threshold. */
function routeRows(state: ViewState, batch: TokenBatch): SeracRoute[] {
  const edits = liveEdits(state);
  const texts = batch.ids.map((row, b) =>
    state.base.requireTokenizer().decode(realTokens(state, row, batch.attentionMask[b] as number[]).body),
  );
  const features = textFeatures(state.base, texts, state.artifact.config.classifierLayer);
  return features.map((f) => {
    const query = projectText(state.artifact.classifier, f, false);
    let best: SeracEdit | undefined;
    let probability = 0;
    // Ties go to the newest edit: a later edit of the same fact overrides an earlier one.
    for (const edit of edits) {
      const p = scopeProbability(state.artifact.classifier, edit.projected, query);
      if (p >= probability) {
        probability = p;
        best = edit;
      }
    }
    return { edit: probability > state.threshold ? best : undefined, probability, nearest: best };
  });
}

/** A row as one of the two models reads it, and where each of the caller's positions went. */
interface RowPlan {
  readonly route: SeracRoute;
  /** Row index inside its model's sub-batch. */
  readonly row: number;
  /** New index of each caller position (-1 for pads). */
  readonly map: Int32Array;
  /** Where the caller's tokens start in the counterfactual row (after BOS and the edit's context). */
  readonly queryStart: number;
}

function plan(state: ViewState, batch: TokenBatch, routes: readonly SeracRoute[]) {
  const baseRows: number[][] = [];
  const baseMasks: number[][] = [];
  const cfRows: number[][] = [];
  const length = batch.ids[0]?.length ?? 0;
  const plans: RowPlan[] = batch.ids.map((ids, b) => {
    const mask = batch.attentionMask[b] as number[];
    const route = routes[b] as SeracRoute;
    const map = new Int32Array(length);
    if (route.edit === undefined) {
      // The base model reads the row exactly as given (same padding, same positions).
      for (let t = 0; t < length; t++) map[t] = t;
      baseRows.push([...ids]);
      baseMasks.push([...mask]);
      return { route, row: baseRows.length - 1, map, queryStart: 0 };
    }
    const { bos, body } = realTokens(state, ids, mask);
    const offset = bos.length + route.edit.contextIds.length;
    let k = 0;
    for (let t = 0; t < length; t++) {
      if (mask[t] !== 1) map[t] = -1;
      else if (bos.length > 0 && k === 0) map[t] = k++;
      else map[t] = offset + k++ - bos.length;
    }
    const limit = state.artifact.counterfactual.config.maxPositions;
    if (offset + body.length > limit) {
      throw new InvalidRequestError(
        'serac model',
        `ids[${b}]`,
        `has ${bos.length + body.length} tokens; with the edit's context (${route.edit.contextIds.length} tokens) ` +
          `it exceeds the counterfactual model's ${limit} positions`,
      );
    }
    cfRows.push([...bos, ...route.edit.contextIds, ...body]);
    return { route, row: cfRows.length - 1, map, queryStart: offset };
  });
  return { plans, baseRows, baseMasks, cfRows };
}

function checkOptions(options: ForwardOptions): void {
  const unsupported =
    options.hooks !== undefined && options.hooks.length > 0
      ? 'hooks'
      : options.startAtLayer !== undefined
        ? 'startAtLayer'
        : options.stopAfterLayer !== undefined
          ? 'stopAfterLayer'
          : undefined;
  if (unsupported !== undefined) {
    throw new InvalidRequestError(
      'serac model',
      unsupported,
      'is not supported while edits are in memory: rows are read by two different models (the base and the counterfactual model)',
    );
  }
}

/**
 * Forward `batch` (continuing `previous` rows when decoding with a cache): each row through its model, the
 * logits put back in the caller's order. `shift` is where the caller's positions start in the full rows.
 */
function routedForward(
  state: ViewState,
  full: TokenBatch,
  routes: readonly SeracRoute[],
  selection: NonNullable<ForwardOptions['logits']>,
  rows: number,
  newLength: number,
  shift: number,
): Tensor | undefined {
  if (selection === 'none') return undefined;
  const { plans, baseRows, baseMasks, cfRows } = plan(state, full, routes);
  // The caller's positions, in the coordinates of the full rows (`shift` tokens were fed before this call).
  const wanted: [number, number][] =
    selection === 'all'
      ? Array.from({ length: rows * newLength }, (_, i) => [
          Math.floor(i / newLength),
          shift + (i % newLength),
        ])
      : selection === 'last'
        ? // As CausalLM reads 'last': each row's last real token (the last position when it has none).
          full.attentionMask.map((mask, b) => {
            const last = mask.lastIndexOf(1);
            return [b, last < shift ? shift + newLength - 1 : last];
          })
        : selection.positions.map(([b, t]) => {
            if (b < 0 || b >= rows || t < 0 || t >= newLength) {
              throw new InvalidRequestError(
                'forward',
                'logits.positions',
                `(${b}, ${t}) is outside [${rows}, ${newLength}]`,
              );
            }
            return [b, shift + t];
          });
  const basePositions: [number, number][] = [];
  const cfPositions: [number, number][] = [];
  const proposals: (CopyProposal | undefined)[] = [];
  const source: number[] = []; // for each wanted position: its index in [base logits; counterfactual logits]
  const cfIndex: number[] = [];
  for (const [b, t] of wanted) {
    const p = plans[b] as RowPlan;
    const to = Math.max(0, p.map[t] as number);
    if (p.route.edit === undefined) {
      source.push(basePositions.length);
      cfIndex.push(-1);
      basePositions.push([p.row, to]);
    } else {
      source.push(-1);
      cfIndex.push(cfPositions.length);
      cfPositions.push([p.row, to]);
      const edit = p.route.edit;
      // Pads (mapped to -1) have no proposal: callers mask them out.
      proposals.push(
        (p.map[t] as number) < 0
          ? undefined
          : copyProposal(cfRows[p.row] as number[], p.queryStart, to, edit.answerIds),
      );
    }
  }
  const parts: Tensor[] = [];
  try {
    if (basePositions.length > 0) {
      const out = state.base.forward(
        { ids: baseRows, attentionMask: baseMasks },
        { logits: { positions: basePositions } },
      );
      parts.push(out.logits as Tensor);
    }
    if (cfPositions.length > 0) {
      const padded = padRight(cfRows, state.artifact.counterfactual.padTokenId);
      const out = state.artifact.counterfactual.forward(padded, { logits: { positions: cfPositions } });
      if (state.copy) {
        parts.push(mixCopy(out.logits as Tensor, proposals, state.artifact.config.copyWeights));
        out.logits?.dispose();
      } else {
        parts.push(out.logits as Tensor);
      }
    }
    const order = Int32Array.from(
      source.map((s, i) => (s >= 0 ? s : basePositions.length + (cfIndex[i] as number))),
    );
    return tf.tidy(() => {
      const joined = parts.length === 1 ? (parts[0] as Tensor) : tf.concat(parts, 0);
      const picked = tf.gather(joined, tf.tensor1d(order, 'int32'));
      const vocab = state.base.config.vocabSize;
      return selection === 'all' ? tf.reshape(picked, [rows, newLength, vocab]) : picked;
    });
  } finally {
    tf.dispose(parts);
  }
}

/**
 * EasyEdit's soft mixture: log((1 - s) softmax(base) + s softmax(counterfactual)), s the scope probability
 * of the row's nearest edit, whose statement the counterfactual model reads.
 */
function softForward(
  state: ViewState,
  full: TokenBatch,
  routes: readonly SeracRoute[],
  selection: Exclude<NonNullable<ForwardOptions['logits']>, 'last' | 'none'>,
  rows: number,
  newLength: number,
  shift: number,
): Tensor {
  const toBase = routes.map((r) => ({ edit: undefined, probability: r.probability }));
  const toNearest = routes.map((r) => ({ edit: r.nearest, probability: r.probability }));
  const weights =
    selection === 'all'
      ? routes.map((r) => r.probability)
      : selection.positions.map(([b]) => (routes[b] as SeracRoute | undefined)?.probability ?? 0);
  const base = routedForward(state, full, toBase, selection, rows, newLength, shift) as Tensor;
  try {
    const counterfactual = routedForward(state, full, toNearest, selection, rows, newLength, shift) as Tensor;
    try {
      return tf.tidy(() => {
        const shape = selection === 'all' ? [rows, 1, 1] : [weights.length, 1];
        const s = tf.tensor(weights, shape);
        const mixed = tf.add(tf.mul(tf.sub(1, s), tf.softmax(base)), tf.mul(s, tf.softmax(counterfactual)));
        return tf.log(tf.maximum(mixed, 1e-30));
      });
    } finally {
      counterfactual.dispose();
    }
  } finally {
    base.dispose();
  }
}

function padRight(rows: readonly (readonly number[])[], padId: number): TokenBatch {
  const length = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...r, ...new Array<number>(length - r.length).fill(padId)]),
    attentionMask: rows.map((r) => [
      ...new Array<number>(r.length).fill(1),
      ...new Array<number>(length - r.length).fill(0),
    ]),
  };
}

/** The rows fed so far into `cache` by this view (undefined for an empty cache, throws for another's). */
function replayOf(state: ViewState, cache: KvCache | undefined, rows: number) {
  if (cache === undefined || cache.length === 0) return undefined;
  const replay = cache.mask.map((mask) => state.replays.get(mask));
  if (replay.some((r) => r === undefined)) {
    throw new InvalidRequestError(
      'serac model',
      'cache',
      'holds rows this view did not fill; start decoding with an empty KvCache',
    );
  }
  if (replay.length !== rows) {
    throw new InvalidRequestError(
      'serac model',
      'cache',
      `was filled with ${replay.length} rows, got ${rows}`,
    );
  }
  return replay.map((r, b) => ({
    ids: r?.ids ?? [],
    mask: cache.mask[b] ?? [],
    route: r?.route as SeracRoute,
  }));
}

function seracForward(state: ViewState, batch: TokenBatch, options: ForwardOptions): ForwardResult {
  const cache = options.cache;
  const rows = batch.ids.length;
  const replay = replayOf(state, cache, rows);
  if (liveEdits(state).length === 0 && replay === undefined) return state.base.forward(batch, options);
  checkOptions(options);
  const newLength = batch.ids[0]?.length ?? 0;
  if (rows === 0 || batch.attentionMask.length !== rows) return state.base.forward(batch, options);
  batch.ids.forEach((row, b) => {
    if (row.length !== newLength || batch.attentionMask[b]?.length !== newLength) {
      throw new InvalidRequestError(
        'token batch',
        `ids[${b}]`,
        'rows of ids and attentionMask must all have one length',
      );
    }
  });
  // A KV cache is honoured by replaying: the rows fed so far are kept (token ids, not keys and values, since
  // rows of one batch run through two models) and the whole text runs again. Routes are fixed by the prompt.
  const masks = batch.attentionMask.map((row, b) => [...(replay?.[b]?.mask ?? []), ...row]);
  const full: TokenBatch = {
    ids: batch.ids.map((row, b) => [...(replay?.[b]?.ids ?? []), ...row]),
    attentionMask: masks,
  };
  const routes = replay?.map((r) => r.route) ?? routeRows(state, full);
  const shift = replay?.[0]?.ids.length ?? 0;
  const selection = options.logits ?? 'all';
  const logits =
    state.mixture === 'soft' && selection !== 'last' && selection !== 'none'
      ? softForward(state, full, routes, selection, rows, newLength, shift)
      : routedForward(state, full, routes, selection, rows, newLength, shift);
  if (cache !== undefined && options.readOnlyCache !== true) {
    cache.mask = masks;
    masks.forEach((mask, b) => {
      state.replays.set(mask, { ids: full.ids[b] as number[], route: routes[b] as SeracRoute });
    });
  }
  return { logits, captured: {} };
}

export interface SeracModelOptions {
  /** Scope probability above which a query is routed to the counterfactual model. */
  readonly threshold: number;
  /** Default `hard`. */
  readonly mixture?: SeracMixture;
  /** Apply the copy mechanism to the counterfactual model's logits (default true). */
  readonly copy?: boolean;
}

/**
 * A view of `base` that routes every input (SERAC, Mitchell et al. 2022, section 3.1): the scope classifier
 * scores it against each live edit; above the threshold, the counterfactual model reads it after the nearest
 * edit's statement; otherwise the base model reads it unchanged, so out-of-scope logits are bit-identical to
 * the base model's. It is a `CausalLM` (it inherits from `base`: weights, tokenizer, layout), so `scoreTargets`,
 * `generate` and every metric run on it; positions keep their meaning. Hooks and partial forwards are refused
 * while edits are live (two models read one batch). `dispose()` frees nothing: the memory owns the models.
 */
export function createSeracModel(
  base: CausalLM,
  artifact: SeracArtifact,
  edits: readonly SeracEdit[],
  options: SeracModelOptions,
): CausalLM {
  const state: ViewState = {
    base,
    artifact,
    edits: [...edits],
    threshold: options.threshold,
    mixture: options.mixture ?? 'hard',
    copy: options.copy ?? true,
    replays: new WeakMap(),
  };
  const digest = fnv1a32(edits.map((e) => editStatement(e.request)).join('\u0001'))
    .toString(16)
    .padStart(8, '0');
  const view = Object.create(base) as CausalLM;
  Object.defineProperties(view, {
    modelId: { value: `${base.modelId}+serac-${digest}`, enumerable: true },
    forward: {
      value: (batch: TokenBatch, forwardOptions: ForwardOptions = {}) =>
        seracForward(state, batch, forwardOptions),
    },
    dispose: { value: () => undefined },
  });
  states.set(view, state);
  return view;
}

/** The base model behind a SERAC view (undefined for any other model). */
export function seracBaseOf(model: CausalLM): CausalLM | undefined {
  return states.get(model)?.base;
}

/** How a SERAC view would route `prompts` (for inspection, tests and the bench's routing statistics). */
export function seracRoutes(model: CausalLM, prompts: readonly string[]): SeracRoute[] {
  const state = states.get(model);
  if (state === undefined) return prompts.map(() => ({ edit: undefined, probability: 0 }));
  const tokenizer = state.base.requireTokenizer();
  const ids = prompts.map((p) => tokenizer.encode(p));
  return routeRows(state, { ids, attentionMask: ids.map((row) => row.map(() => 1)) });
}
