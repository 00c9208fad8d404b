// SERAC's counterfactual loss (Mitchell et al. 2022, arXiv:2206.06520, eq. 2's L_e term): the next-token NLL of
// the answer tokens given the edit in the context. Its own module so that gradient workers can import it.
import { type Scalar, siblingModuleUrl } from '@llmedit/core';
import { type CausalLM, padBatch } from '@llmedit/models';
import { nextTokenLoss, type ShardLoss, type ShardLossModule } from '@llmedit/pretrained';

/** What the loss reads of an example: its ids and where its answer (and any end-of-text after it) starts. */
export interface AnswerSequence {
  readonly ids: readonly number[];
  readonly answerStart: number;
}

/** Tokens the loss is taken on: the answer's and any end-of-text token after it. */
export function answerTokens(examples: readonly AnswerSequence[]): number {
  return examples.reduce((sum, e) => sum + e.ids.length - e.answerStart, 0);
}

/** Mean NLL of every token from `answerStart` on, over the examples (right-padded into one batch). */
export function answerLoss(model: CausalLM, examples: readonly AnswerSequence[]): Scalar {
  const batch = padBatch(
    examples.map((e) => [...e.ids]),
    model.padTokenId,
    'right',
  );
  // Position t predicts token t + 1: the answer's tokens are predicted from answerStart - 1 on.
  const positions = examples.flatMap((e, b) =>
    Array.from(
      { length: e.ids.length - e.answerStart },
      (_, k) => [b, e.answerStart - 1 + k] as [number, number],
    ),
  );
  return nextTokenLoss(model, batch, positions);
}

/** `answerLoss` for `DataParallelGradients`: a shard's mean loss and its number of answer tokens. */
export const answerShardLoss: ShardLoss<readonly AnswerSequence[]> = (model, examples) => ({
  loss: answerLoss(model, examples),
  count: answerTokens(examples),
});

/** Where gradient workers find `answerShardLoss` (this module, from sources or the build). */
export const answerShardLossModule: ShardLossModule = {
  url: siblingModuleUrl(import.meta.url, 'counterfactual-loss'),
  name: 'answerShardLoss',
};
