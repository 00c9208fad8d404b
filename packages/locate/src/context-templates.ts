// Context templates of ROME (Meng et al. 2022, section 3.1 and appendix E.5: "the key is averaged over a
// small set of texts ending with the subject", prefixes sampled from the model itself) and MEMIT (Meng
// et al. 2023, section 4.2).
import { InvalidHparamsError } from '@llmedit/core';
import { type CausalLM, generate } from '@llmedit/models';

/** The words ROME and MEMIT start their sampled prefixes from. */
export const CONTEXT_SEED_WORDS: readonly string[] = ['The', 'Therefore', 'Because', 'I', 'You'];

/** [length in tokens, number of prefixes] pairs (EasyEdit `context_template_length_params`). */
export type ContextLengthParams = readonly (readonly [number, number])[];

/** ROME's [[5, 10], [10, 10]]: 10 prefixes of 5 tokens and 10 of 10 tokens. */
export const ROME_CONTEXT_LENGTHS: ContextLengthParams = [
  [5, 10],
  [10, 10],
];
/** MEMIT's [[10, 5]]: 5 prefixes of 10 tokens. */
export const MEMIT_CONTEXT_LENGTHS: ContextLengthParams = [[10, 5]];

const cache = new Map<string, string[][]>();

/** Forget every cached template set (tests; or after swapping a model's weights for another model's). */
export function clearContextTemplateCache(): void {
  cache.clear();
}

/**
 * Context templates: group 0 is ['{}'] (the bare prompt), then one group per length with `n` prefixes each
 * ('<prefix>. {}'), sampled from the model with top-k 5 starting from each seed word (n / 5 per word), as
 * ROME's generate_fast does. '{' and '}' in the samples become spaces so that '{}' stays the only slot.
 * Deterministic for a seed, and cached per model id, lengths and seed for the process (as EasyEdit caches
 * them globally), so later edits reuse them even after the model has been edited.
 */
export function contextTemplates(model: CausalLM, lengths: ContextLengthParams, seed: number): string[][] {
  const key = `${model.modelId}|${JSON.stringify(lengths)}|${seed}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached.map((group) => [...group]);
  const tokenizer = model.requireTokenizer();
  const groups: string[][] = [['{}']];
  lengths.forEach(([length, count], index) => {
    if (!Number.isInteger(length) || length < 1 || !Number.isInteger(count) || count < 0) {
      throw new InvalidHparamsError(
        `contextTemplateLengthParams[${index}]`,
        `expected [length >= 1, count >= 0] integers, got [${length}, ${count}]`,
      );
    }
    const perWord = Math.floor(count / CONTEXT_SEED_WORDS.length);
    if (perWord === 0) return;
    const prompts = CONTEXT_SEED_WORDS.flatMap((word) => new Array<string>(perWord).fill(word));
    // As generate_fast: the padded batch grows to `length` tokens, so every row gets the same new tokens.
    const longest = Math.max(...prompts.map((p) => tokenizer.encode(p).length));
    const generations = generate(model, prompts, {
      maxNewTokens: Math.max(1, length - longest),
      strategy: 'top-k',
      topK: 5,
      seed: (seed * 1009 + index * 7919) >>> 0,
    });
    groups.push(
      generations.map((generation, i) => {
        const prefix = `${prompts[i]}${generation.text}`.replace(/[{}]/g, ' ');
        return `${prefix}. {}`;
      }),
    );
  });
  cache.set(key, groups);
  return groups.map((group) => [...group]);
}
