// GRACE (Hartvigsen et al. 2023, "Aging with GRACE", section 3; EasyEdit GRACE.py, reference section 4.14):
// per edit, the codebook update rule at the query (the FFN input at the last prompt token), then Adam on the
// chosen entry's value so that, substituted for the FFN activation there, the model emits the target.
import {
  createRng,
  defineEditMethod,
  type EditRequest,
  InvalidRequestError,
  type Scalar,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import {
  type CausalLM,
  encodeTargetPair,
  type ForwardOptions,
  resolveLayer,
  type TokenBatch,
} from '@llmedit/models';
import { applyUpdateRule, type Codebook, type CodebookAction, replaceWithinRadius } from './codebook.js';
import { type GraceHparams, graceHparams } from './hparams.js';

const codebooks = new WeakMap<CausalLM, Map<number, Codebook>>();

/** The codebook GRACE keeps for `model` at `layer` (created empty). */
export function graceCodebook(model: CausalLM, layer: number): Codebook {
  let perModel = codebooks.get(model);
  if (perModel === undefined) {
    perModel = new Map();
    codebooks.set(model, perModel);
  }
  let book = perModel.get(layer);
  if (book === undefined) {
    book = {
      layer,
      keyWidth: model.config.hiddenSize,
      valueWidth: model.layout.mlpKeySize,
      entries: [],
      stack: [],
      nextEditId: 0,
    };
    perModel.set(layer, book);
  }
  return book;
}

/** Resolve a possibly negative layer index. */
export function graceLayer(model: CausalLM, hparams: GraceHparams): number {
  return resolveLayer(model.config, hparams.layer, 'grace hparams');
}

/** Hooks that apply `book` in a forward: stash the FFN input, replace the FFN activation where it matches. */
function codebookHooks(model: CausalLM, book: Codebook): NonNullable<ForwardOptions['hooks']> {
  let query: Tensor3D | undefined;
  return [
    {
      point: model.layout.mlpIn(book.layer),
      replace: (x) => {
        query = x;
        return x;
      },
    },
    {
      point: model.layout.mlpKey(book.layer),
      replace: (activation) => {
        if (query === undefined || book.entries.length === 0) return activation;
        const n = book.entries.length;
        const keys = tf.tensor2d(concat(book.entries.map((e) => e.key)), [n, book.keyWidth]);
        const values = tf.tensor2d(concat(book.entries.map((e) => e.value)), [n, book.valueWidth]);
        const epsilons = tf.tensor1d(book.entries.map((e) => e.epsilon));
        return replaceWithinRadius(activation, query, keys, values, epsilons);
      },
    },
  ];
}

function concat(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const row of rows) {
    out.set(row, offset);
    offset += row.length;
  }
  return out;
}

const views = new WeakMap<CausalLM, { base: CausalLM; book: Codebook }>();

/**
 * A view of `base` whose forward applies the codebook (it inherits weights, tokenizer and layout, so scoring
 * and generation run on it). Every view reads the live codebook, so all of a model's GRACE edits act at once.
 */
export function createGraceModel(base: CausalLM, book: Codebook): CausalLM {
  const view = Object.create(base) as CausalLM;
  Object.defineProperties(view, {
    modelId: { value: `${base.modelId}+grace-${book.layer}`, enumerable: true },
    forward: {
      value: (batch: TokenBatch, options: ForwardOptions = {}) =>
        book.entries.length === 0
          ? base.forward(batch, options)
          : base.forward(batch, {
              ...options,
              hooks: [...codebookHooks(base, book), ...(options.hooks ?? [])],
            }),
    },
    dispose: { value: () => undefined },
  });
  views.set(view, { base, book });
  return view;
}

/** Train `initial` as the activation at `position` so that the model emits `request`'s target. */
function trainValue(
  model: CausalLM,
  request: EditRequest,
  layer: number,
  initial: Float32Array,
  hparams: GraceHparams,
): { value: Float32Array; loss: number } {
  const pair = encodeTargetPair(model, request.prompt, request.targetNew);
  const ids = [...pair.promptIds, ...pair.targetIds].slice(0, -1);
  const queryPosition = pair.promptIds.length - 1;
  const batch = { ids: [ids], attentionMask: [ids.map(() => 1)] };
  const inPoint = layer === 0 ? model.layout.embed() : model.layout.residual(layer - 1);
  const { captured } = model.forward(batch, {
    hooks: [{ point: inPoint, capture: true }],
    stopAfterLayer: Math.max(layer - 1, 0),
  });
  const hidden = captured[inPoint.key] as Tensor3D;
  const width = initial.length;
  const start = tf.tensor1d(initial);
  const value = tf.variable(start, true);
  start.dispose(); // the variable shares its data
  const mask = tf.tidy(() =>
    tf.reshape(tf.oneHot(tf.tensor1d([queryPosition], 'int32'), ids.length), [1, ids.length, 1]),
  );
  const logitPositions = pair.targetIds.map((_, k) => [0, queryPosition + k] as const);
  const flat = tf.tensor1d(
    Int32Array.from(pair.targetIds, (id, n) => n * model.config.vocabSize + id),
    'int32',
  );
  const optimizer = tf.train.adam(hparams.learningRate);
  const nll = () =>
    tf.tidy(() => {
      const { logits } = model.forward(batch, {
        startAtLayer: { layer, hidden },
        logits: { positions: logitPositions },
        hooks: [
          {
            point: model.layout.mlpKey(layer),
            // EasyEdit replaces the activation at the last prompt token while editing.
            replace: (a) =>
              tf.add(tf.mul(a, tf.sub(1, mask)), tf.mul(tf.reshape(value, [1, 1, width]), mask)) as Tensor3D,
          },
        ],
      });
      return tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(logits as Tensor2D), [-1]), flat))) as Scalar;
    });
  try {
    for (let step = 0; step < hparams.nIter; step++) {
      optimizer.minimize(nll, false, [value])?.dispose();
    }
    const final = nll();
    const loss = final.dataSync()[0] as number;
    final.dispose();
    const trained = value.dataSync().slice() as Float32Array;
    if (!Number.isFinite(loss) || !trained.every(Number.isFinite)) {
      throw new InvalidRequestError(request.id ?? 'request', 'targetNew', 'made the GRACE value non-finite');
    }
    return { value: trained, loss };
  } finally {
    optimizer.dispose();
    tf.dispose([hidden, value, mask, flat]);
  }
}

/** The FFN input (GRACE's query) and activation at the last prompt token of `request`. */
function queryOf(
  model: CausalLM,
  request: EditRequest,
  layer: number,
): { query: Float32Array; activation: Float32Array } {
  const { promptIds } = encodeTargetPair(model, request.prompt, request.targetNew);
  const inPoint = model.layout.mlpIn(layer);
  const keyPoint = model.layout.mlpKey(layer);
  const { captured } = model.forward(
    { ids: [promptIds], attentionMask: [promptIds.map(() => 1)] },
    {
      hooks: [
        { point: inPoint, capture: true },
        { point: keyPoint, capture: true },
      ],
      stopAfterLayer: layer,
    },
  );
  const last = promptIds.length - 1;
  const row = (t: Tensor3D) => {
    const width = t.shape[2];
    return (t.dataSync() as Float32Array).slice(last * width, (last + 1) * width);
  };
  const result = {
    query: row(captured[inPoint.key] as Tensor3D),
    activation: row(captured[keyPoint.key] as Tensor3D),
  };
  tf.dispose(Object.values(captured));
  return result;
}

/** What one edit reports in `EditOutcome.info`. */
export interface GraceInfo {
  readonly layer: number;
  readonly action: CodebookAction;
  readonly codebookSize: number;
  readonly finalLoss: number;
}

/**
 * GRACE: a codebook adaptor at one layer's FFN activation. Keys are FFN inputs at the last prompt token,
 * values replacement activations trained for the target, radii decide which inputs a key covers. The base
 * weights never change; the outcome's model is a view that applies the codebook, and `restore()` puts the
 * codebook back as it was before this edit (edits revert newest first).
 */
export const grace = defineEditMethod<GraceHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'grace',
  displayName: 'GRACE',
  paper:
    'Hartvigsen et al. 2023, Aging with GRACE: Lifelong Model Editing with Discrete Key-Value Adaptors (NeurIPS), arXiv 2211.11031',
  capabilities: {
    batch: false,
    sequential: true,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: false,
  },
  hparams: graceHparams,
  async doEdit(context, model, requests, hparams) {
    const request = requests[0] as EditRequest;
    const base = views.get(model)?.base ?? model;
    const layer = graceLayer(base, hparams);
    const book = graceCodebook(base, layer);
    const editId = book.nextEditId;
    const { query, activation } = queryOf(base, request, layer);
    const rng = createRng(context.seed).fork(editId);
    const cold =
      hparams.valueInit === 'cold'
        ? Float32Array.from({ length: book.valueWidth }, () => rng.next())
        : activation;
    const rule = applyUpdateRule(book.entries, query, request.targetNew, hparams.epsInit, cold, editId);
    const trainedEntry = rule.entries[rule.trained]!;
    // The value trains on the base model with this edit's replacement only (EasyEdit trains one value at a time).
    const { value, loss } = trainValue(base, request, layer, trainedEntry.value, hparams);
    const before = book.entries;
    rule.entries[rule.trained] = { ...trainedEntry, value };
    book.entries = rule.entries;
    book.stack.push(editId);
    book.nextEditId++;
    const view = createGraceModel(base, book);
    let restored = false;
    return {
      model: view,
      deltas: new Map(),
      restore() {
        if (restored) return;
        const top = book.stack[book.stack.length - 1];
        if (top !== editId) {
          throw new InvalidRequestError(
            'grace restore',
            `edit ${editId}`,
            `is not the newest live GRACE edit at layer ${layer}: revert edit ${top} first`,
          );
        }
        book.stack.pop();
        book.entries = before;
        book.nextEditId = editId;
        restored = true;
      },
      dispose() {},
      info: {
        layer,
        action: rule.action,
        codebookSize: book.entries.length,
        finalLoss: loss,
      } satisfies GraceInfo,
    };
  },
});
