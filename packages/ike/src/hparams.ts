import { defineHparams, field, type HparamsSpec } from '@llmedit/core';
import type { SplitDataset } from '@llmedit/datasets';

/** Where the retrieved demonstrations sit relative to each other (the new fact always comes last). */
export type DemoOrder = 'similar-first' | 'similar-last';

/**
 * IKE hyperparameters: EasyEdit's IKE keys in camelCase (`k`, `useIclExamples`; reference/easyedit.md
 * section 4.13), so `readEasyEditYaml(text).hparams` parses as is, plus llmedit's retrieval and context
 * settings (BM25 instead of a sentence encoder, the position budget of small models).
 */
export interface IkeHparams {
  /** Demonstrations retrieved per edit (EasyEdit `k`); fewer are used when the context would not fit. */
  k: number;
  /** false: no demonstrations, only "New Fact: ... Prompt:" (EasyEdit's PROMPT / KnowEdit's ICE). */
  useIclExamples: boolean;
  /** Training splits the demonstration store is built from (the evaluation splits never are). */
  demoPool: SplitDataset[];
  /** 'similar-first' as EasyEdit joins its hits; 'similar-last' puts the closest demonstration next to the fact. */
  demoOrder: DemoOrder;
  /**
   * Positions kept free after the input when the context is sized: a scorer or generator may feed this
   * many more tokens (a target, generated text) through the KV cache. Demonstrations are dropped (least
   * similar first) until context + input + reservedTokens fits the model's maxPositions.
   */
  reservedTokens: number;
  /** BM25 term-frequency saturation. */
  bm25K1: number;
  /** BM25 length normalisation, in [0, 1]. */
  bm25B: number;
}

// EasyEdit IKE keys with no meaning here: the sentence encoder (we retrieve with BM25) and torch placement.
const ignoredKeys = ['sentenceModelName', 'device', 'resultsDir', 'modelParallel'] as const;

const fields = {
  k: field.integer({ min: 0 }),
  useIclExamples: field.boolean(),
  demoPool: field.array(field.oneOf(['zsre', 'counterfact'] as const), { minLength: 1 }),
  demoOrder: field.oneOf(['similar-first', 'similar-last'] as const),
  reservedTokens: field.integer({ min: 0 }),
  bm25K1: field.number({ min: 0 }),
  bm25B: field.number({ min: 0, max: 1 }),
};

/** EasyEdit's IKE defaults (k = 16, demonstrations on), BM25's usual k1 and b, both training splits. */
export const ikeHparams: HparamsSpec<IkeHparams> = defineHparams<IkeHparams>(
  {
    k: 16,
    useIclExamples: true,
    demoPool: ['zsre', 'counterfact'],
    demoOrder: 'similar-first',
    reservedTokens: 24,
    bm25K1: 1.2,
    bm25B: 0.75,
  },
  fields,
  { ignoredKeys },
);
