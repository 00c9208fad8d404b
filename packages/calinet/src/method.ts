// CaliNet (Dong et al. 2022, "Calibrating Factual Knowledge in Pretrained Language Models", sec. 3.2):
// FFN'(h) = FFN(h) + act(h K_cᵀ) V_c, calibration memory slots beside one FFN, trained on the facts with the
// base model frozen (the paper's code: `T5DenseReluDenseEx`, `run_kb_t5_freeze.py`).
import {
  defineEditMethod,
  type EditRequest,
  InvalidRequestError,
  type Scalar,
  type Tensor2D,
  type Tensor3D,
  tf,
} from '@llmedit/core';
import { type AddedNeurons, type CausalLM, encodeTargetPair, padBatch, resolveLayer } from '@llmedit/models';
import { type CalinetHparams, calinetHparams } from './hparams.js';

/** What one edit call reports in `EditOutcome.info`. */
export interface CalinetInfo {
  readonly layer: number;
  readonly slotsAdded: number;
  /** Slots all live calibration memories of this model hold after the edit. */
  readonly slotsTotal: number;
  /** The edit loss (mean target NLL) before and after training the slots. */
  readonly lossBefore: number;
  readonly lossAfter: number;
}

/** Live calibration memories per model, for `slotsTotal`. */
const live = new WeakMap<CausalLM, AddedNeurons[]>();

/** PyTorch's default Linear initialisation U(−1/√in, 1/√in), seeded. */
function uniform(seed: number, shape: [number, number], fanIn: number): Tensor2D {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', seed) as Tensor2D;
}

/** Teacher-forced rows (prompt + target without its last token) and where each target token is predicted. */
function editBatch(model: CausalLM, requests: readonly EditRequest[]) {
  const rows = requests.map((request, i) => {
    const pair = encodeTargetPair(model, request.prompt, request.targetNew);
    if (pair.targetIds.length === 0) {
      throw new InvalidRequestError(request.id ?? `requests[${i}]`, 'targetNew', 'encodes to no tokens');
    }
    return pair;
  });
  const batch = padBatch(
    rows.map((p) => [...p.promptIds, ...p.targetIds].slice(0, -1)),
    model.padTokenId,
    'right',
  );
  const positions: [number, number][] = [];
  // Index of each target token's log-probability in the flattened [positions, vocab] logits.
  const picks: number[] = [];
  const weights: number[] = [];
  rows.forEach((pair, row) => {
    pair.targetIds.forEach((id, k) => {
      picks.push(positions.length * model.config.vocabSize + id);
      positions.push([row, pair.promptIds.length - 1 + k]);
      weights.push(1 / (pair.targetIds.length * rows.length));
    });
  });
  return { batch, positions, picks, weights };
}

/**
 * CaliNet: per edit call, `slots` key/value neurons added beside the FFN of `layer` (the activation of the
 * model's FFN, no bias, as the paper's extra FFN), trained with Adam on the mean target NLL of the call's
 * requests; the base weights never change (`modifiesWeights: false`) and `restore()` removes exactly the
 * slots the call added. A batch edit trains one memory for all its facts, as the paper calibrates a set of
 * facts; sequential edits add one memory each.
 */
export const calinet = defineEditMethod<CalinetHparams, CausalLM>({
  specificationVersion: 'v1',
  id: 'calinet',
  displayName: 'CaliNet',
  paper:
    'Dong et al. 2022, Calibrating Factual Knowledge in Pretrained Language Models (Findings of EMNLP), arXiv 2210.03329',
  capabilities: {
    batch: true,
    sequential: true,
    multimodal: false,
    requiresTraining: false,
    modifiesWeights: false,
  },
  hparams: calinetHparams,
  async doEdit(context, model, requests, hparams) {
    const layer = resolveLayer(model.config, hparams.layer, 'calinet hparams');
    const { batch, positions, picks, weights } = editBatch(model, requests);
    const d = model.config.hiddenSize;
    // The block input of `layer`, computed once: training runs only the layers from `layer` on.
    const inPoint = layer === 0 ? model.layout.embed() : model.layout.residual(layer - 1);
    const { captured } = model.forward(batch, {
      hooks: [{ point: inPoint, capture: true }],
      stopAfterLayer: layer,
    });
    const hidden = captured[inPoint.key] as Tensor3D;
    const keys = uniform(context.seed, [hparams.slots, d], d);
    const values = uniform(context.seed + 1, [hparams.slots, d], hparams.slots);
    let block: AddedNeurons | undefined;
    const pickIndex = tf.tensor1d(Int32Array.from(picks), 'int32');
    const weightTensor = tf.tensor1d(weights);
    const optimizer = tf.train.adam(hparams.learningRate);
    try {
      block = model.addNeurons(layer, {
        keys,
        values,
        ...(model.config.architecture === 'llama' ? { up: keys } : {}),
      });
      // Keys and values (and LLaMA's up rows) train; the bias stays 0: the paper's extra FFN has none.
      const trained =
        block.up === undefined ? [block.keys, block.values] : [block.keys, block.up, block.values];
      const loss = () =>
        tf.tidy(() => {
          const { logits } = model.forward(batch, { startAtLayer: { layer, hidden }, logits: { positions } });
          const picked = tf.gather(tf.reshape(tf.logSoftmax(logits as Tensor2D), [-1]), pickIndex);
          return tf.neg(tf.sum(tf.mul(picked, weightTensor))) as Scalar;
        });
      const read = () => {
        const value = loss();
        const out = value.dataSync()[0]!;
        value.dispose();
        return out;
      };
      const lossBefore = read();
      for (let step = 0; step < hparams.steps; step++) {
        context.signal?.throwIfAborted();
        optimizer.minimize(loss, false, trained);
        context.onProgress?.({ stage: 'calibrate', fraction: (step + 1) / hparams.steps });
      }
      const lossAfter = read();
      if (!Number.isFinite(lossAfter)) {
        throw new InvalidRequestError(
          requests[0]?.id ?? 'requests[0]',
          'targetNew',
          'made the CaliNet loss non-finite',
        );
      }
      const memories = live.get(model) ?? [];
      memories.push(block);
      live.set(model, memories);
      const added = block;
      const info: CalinetInfo = {
        layer,
        slotsAdded: hparams.slots,
        slotsTotal: memories.reduce((n, b) => n + b.count, 0),
        lossBefore,
        lossAfter,
      };
      return {
        model,
        deltas: new Map(),
        restore() {
          const index = memories.indexOf(added);
          if (index >= 0) memories.splice(index, 1);
          model.removeNeurons(added);
        },
        dispose() {},
        info: info as unknown as Readonly<Record<string, unknown>>,
      };
    } catch (error) {
      if (block !== undefined) model.removeNeurons(block);
      throw error;
    } finally {
      optimizer.dispose();
      tf.dispose([hidden, keys, values, pickIndex, weightTensor]);
    }
  },
});
