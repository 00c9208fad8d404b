// Transformer-Patcher (Huang et al. 2023), section 3: a patch neuron a_p = act(q k_p + b_p) added to the last
// FFN, trained with L = L_edit + a l_a + m (l_m1 + l_m2) (eq. 5-8): edit NLL, activation loss with margin on
// the edit's queries, memory losses with threshold and margin on a memory set of other inputs.
import {
  defineEditMethod,
  type EditRequest,
  InvalidRequestError,
  type Scalar,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import { type AddedNeurons, type CausalLM, encodeTargetPair, resolveLayer } from '@llmedit/models';
import { type TPatcherHparams, tPatcherHparams } from './hparams.js';
import { memoryQueries } from './memory.js';

/** A live patch: its neurons and the queries of the edit it fixes (memory for later patches). */
interface LivePatch {
  readonly block: AddedNeurons;
  readonly queries: Float32Array;
}

/** Steps between two checks of the stopping rule. */
const CHECK_EVERY = 5;

const livePatches = new WeakMap<CausalLM, LivePatch[]>();

/** What one edit reports in `EditOutcome.info`. */
export interface TPatcherInfo {
  readonly layer: number;
  readonly neuronsAdded: number;
  /** Neurons all live patches of this model hold after the edit. */
  readonly neuronsTotal: number;
  readonly steps: number;
  readonly memoryRows: number;
  readonly finalLoss: { edit: number; activation: number; memory: number };
  /** Edit tokens predicted after training / targets. */
  readonly editHeld: boolean;
}

/** Resolve a possibly negative layer index. */
export function patchLayer(model: CausalLM, hparams: TPatcherHparams): number {
  return resolveLayer(model.config, hparams.layer, 't-patcher hparams');
}

/** mean(exp(x)) over the entries x > 0 (0 when there are none): a margin loss that is zero once met. */
function expMargin(x: Tensor): Scalar {
  return tf.tidy(() => {
    const clipped = tf.minimum(x, 30);
    const active = tf.step(clipped); // 1 where x > 0; Step has a (zero) gradient, Greater none
    const count = tf.maximum(tf.sum(active), 1);
    return tf.div(tf.sum(tf.mul(tf.exp(clipped), active)), count) as Scalar;
  });
}

/** The patch's pre-activation q k^T + b for queries [rows, hidden] -> [rows, neurons]. */
function preActivation(block: AddedNeurons, queries: Tensor2D): Tensor2D {
  return tf.add(tf.matMul(queries, block.keys, false, true), block.bias) as Tensor2D;
}

function unitRows(rows: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.div(rows, tf.maximum(tf.norm(rows, 'euclidean', 1, true), 1e-6)) as Tensor2D);
}

interface EditInput {
  ids: number[];
  /** Token positions (in `ids`) whose next token is a target token, and those tokens. */
  positions: number[];
  targets: number[];
}

function editInput(model: CausalLM, request: EditRequest): EditInput {
  const pair = encodeTargetPair(model, request.prompt, request.targetNew);
  if (pair.targetIds.length === 0) {
    throw new InvalidRequestError(request.id ?? 'request', 'targetNew', 'has no tokens');
  }
  const ids = [...pair.promptIds, ...pair.targetIds].slice(0, -1);
  const positions = pair.targetIds.map((_, k) => pair.promptIds.length - 1 + k);
  return { ids, positions, targets: [...pair.targetIds] };
}

/** Patch one request: add the neurons, train them, return the block (the caller removes it on failure). */
function patchRequest(
  model: CausalLM,
  request: EditRequest,
  hparams: TPatcherHparams,
  layer: number,
  memory: Float32Array,
  added: (block: AddedNeurons) => void,
): { block: AddedNeurons; queries: Float32Array; info: Omit<TPatcherInfo, 'neuronsTotal'> } {
  const d = model.config.hiddenSize;
  const input = editInput(model, request);
  const batch = { ids: [input.ids], attentionMask: [input.ids.map(() => 1)] };
  const T = input.positions.length;
  // One frozen pass: the block input of `layer` (the residual before it) and the FFN queries at `layer`.
  const inPoint = layer === 0 ? model.layout.embed() : model.layout.residual(layer - 1);
  const queryPoint = model.layout.mlpIn(layer);
  const { captured } = model.forward(batch, {
    hooks: [
      { point: inPoint, capture: true },
      { point: queryPoint, capture: true },
    ],
    stopAfterLayer: layer,
  });
  const hidden = captured[inPoint.key] as Tensor3D;
  const positionIndex = tf.tensor1d(Int32Array.from(input.positions), 'int32');
  const editQueries = tf.tidy(() =>
    tf.gather(tf.reshape(captured[queryPoint.key] as Tensor3D, [-1, d]), positionIndex),
  ) as Tensor2D;
  captured[queryPoint.key]?.dispose();
  positionIndex.dispose();
  const memoryRows = memory.length / d;
  const memoryTensor = tf.tensor2d(memory, [memoryRows, d]);
  const neurons = hparams.neuronsPer === 'token' ? T : 1;
  // Key initialised along the edit query (its mean for one neuron per edit), so the patch starts active on
  // the edit input; the value starts at zero, so the fresh patch changes nothing until trained.
  const init = tf.tidy(() => {
    const direction =
      neurons === T ? unitRows(editQueries) : unitRows(tf.mean(editQueries, 0, true) as Tensor2D);
    return { keys: direction, values: tf.zeros([neurons, d]) as Tensor2D };
  });
  const block = model.addNeurons(layer, {
    keys: init.keys,
    values: init.values,
    ...(model.config.architecture === 'llama' ? { up: init.keys } : {}),
  });
  added(block);
  tf.dispose([init.keys, init.values]);
  // Neuron j answers for target position j ('token'), or the one neuron for all of them ('edit').
  const ownMask = tf.tidy(() => (neurons === T ? tf.eye(T) : tf.ones([T, 1])));
  const logitPositions = input.positions.map((t) => [0, t] as const);
  const targetIndex = tf.tensor1d(
    Int32Array.from(input.targets, (id, n) => n * model.config.vocabSize + id),
    'int32',
  );
  const optimizer = tf.train.adam(hparams.learningRate);
  const last = { edit: 0, activation: 0, memory: 0 };
  let steps = 0;
  let held = false;
  try {
    const losses = () => {
      const { logits } = model.forward(batch, {
        startAtLayer: { layer, hidden },
        logits: { positions: logitPositions },
      });
      const logProbs = tf.logSoftmax(logits as Tensor2D);
      const editLoss = tf.neg(tf.mean(tf.gather(tf.reshape(logProbs, [-1]), targetIndex))) as Scalar;
      const zEdit = preActivation(block, editQueries); // [T, neurons]
      // Each neuron's own edit pre-activations (masked entries pushed past the margin: no loss).
      const own = tf.add(tf.mul(zEdit, ownMask), tf.mul(tf.sub(1, ownMask), 1e4));
      const activationLoss = expMargin(tf.sub(hparams.activationMargin, own));
      let memoryLoss: Scalar = tf.scalar(0);
      if (memoryRows > 0) {
        const zMemory = preActivation(block, memoryTensor); // [M, neurons]
        const ownMin = tf.min(own, 0); // [neurons]: the weakest edit activation of each neuron
        memoryLoss = tf.add(
          expMargin(tf.sub(zMemory, hparams.memoryThreshold)),
          expMargin(tf.add(tf.sub(zMemory, ownMin), hparams.memoryMargin)),
        ) as Scalar;
      }
      return { logProbs, editLoss, activationLoss, memoryLoss, logits: logits as Tensor2D };
    };
    for (steps = 0; steps < hparams.maxSteps; ) {
      const cost = optimizer.minimize(
        () => {
          const { editLoss, activationLoss, memoryLoss } = losses();
          return tf.add(
            editLoss,
            tf.add(
              tf.mul(activationLoss, hparams.activationWeight),
              tf.mul(memoryLoss, hparams.memoryWeight),
            ),
          ) as Scalar;
        },
        false,
        block.variables(),
      );
      cost?.dispose();
      steps++;
      // Checking costs a forward: every CHECK_EVERY steps and at the last one.
      if (steps % CHECK_EVERY !== 0 && steps < hparams.maxSteps) continue;
      // The paper trains until the edit holds; we also wait for the margins (all losses but the NLL zero).
      const check = tf.tidy(() => {
        const { logProbs, editLoss, activationLoss, memoryLoss } = losses();
        return [tf.argMax(logProbs, 1), editLoss, activationLoss, memoryLoss] as const;
      });
      const argmax = Array.from(check[0].dataSync());
      last.edit = check[1].dataSync()[0] as number;
      last.activation = check[2].dataSync()[0] as number;
      last.memory = check[3].dataSync()[0] as number;
      tf.dispose([...check]);
      if (![last.edit, last.activation, last.memory].every(Number.isFinite)) {
        throw new InvalidRequestError(request.id ?? 'request', 'targetNew', 'made the patch loss non-finite');
      }
      held = argmax.every((id, k) => id === input.targets[k]);
      if (held && last.activation === 0 && last.memory === 0) break;
    }
    const queries = editQueries.dataSync().slice() as Float32Array;
    return {
      block,
      queries,
      info: { layer, neuronsAdded: neurons, steps, memoryRows, finalLoss: { ...last }, editHeld: held },
    };
  } finally {
    optimizer.dispose();
    tf.dispose([hidden, editQueries, memoryTensor, ownMask, targetIndex]);
  }
}

/**
 * Transformer-Patcher: per edit, patch neurons in the last FFN (one per target token by default) whose key,
 * bias and value are trained so the edit holds and the patch stays silent elsewhere. The base weights never
 * change (`modifiesWeights: false`): the patch is added through `CausalLM.addNeurons`, and `restore()`
 * removes exactly its neurons. Edits accumulate on the model (sequential editing).
 */
export const tPatcher = defineEditMethod<TPatcherHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 't-patcher',
  displayName: 'T-Patcher',
  paper: 'Huang et al. 2023, Transformer-Patcher: One Mistake worth One Neuron (ICLR), arXiv 2301.09785',
  capabilities: {
    batch: false,
    sequential: true,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: false,
  },
  hparams: tPatcherHparams,
  async doEdit(context, model, requests, hparams) {
    const request = requests[0] as EditRequest;
    const layer = patchLayer(model, hparams);
    const base = memoryQueries(model, layer, hparams.memorySize, context.seed);
    const live = livePatches.get(model) ?? [];
    const earlier = hparams.rememberEdits ? live.map((p) => p.queries) : [];
    const memory = new Float32Array(base.length + earlier.reduce((n, q) => n + q.length, 0));
    memory.set(base);
    let offset = base.length;
    for (const q of earlier) {
      memory.set(q, offset);
      offset += q.length;
    }
    let block: AddedNeurons | undefined;
    let result: ReturnType<typeof patchRequest>;
    try {
      result = patchRequest(model, request, hparams, layer, memory, (b) => {
        block = b;
      });
    } catch (error) {
      if (block !== undefined) model.removeNeurons(block);
      throw error;
    }
    const patch: LivePatch = { block: result.block, queries: result.queries };
    live.push(patch);
    livePatches.set(model, live);
    const neuronsTotal = live.reduce((n, p) => n + p.block.count, 0);
    return {
      model,
      deltas: new Map(),
      restore() {
        const index = live.indexOf(patch);
        if (index >= 0) live.splice(index, 1);
        model.removeNeurons(patch.block);
      },
      dispose() {},
      info: { ...result.info, neuronsTotal } satisfies TPatcherInfo,
    };
  },
});
