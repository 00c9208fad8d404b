import { InvalidRequestError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';

/** A prompt as the model reads it, with the token span of its subject. */
export interface TokenizedPrompt {
  ids: number[];
  /** Each token decoded on its own (for labels; a byte-level token may decode to a partial character). */
  labels: string[];
  /** Subject tokens are ids[subjectStart, subjectEnd). */
  subjectStart: number;
  subjectEnd: number;
}

/** Token ids of a prompt as the model reads it: BOS first for LLaMA, as scoring does. */
export function promptTokenIds(model: CausalLM, prompt: string): number[] {
  const tokenizer = model.requireTokenizer();
  const ids = tokenizer.encode(prompt);
  const bosId = tokenizer.bosTokenId ?? model.config.bosTokenId;
  return model.config.architecture === 'llama' && bosId !== undefined ? [bosId, ...ids] : ids;
}

/**
 * Tokenize `prompt` and find the tokens that spell the first occurrence of `subject` (the tokens whose
 * characters overlap it), by decoding growing prefixes of the ids: the tokenizer gives no character
 * offsets, and prefix decoding is exact for the byte-level and SentencePiece tokenizers we load.
 */
export function tokenizeWithSubject(model: CausalLM, prompt: string, subject: string): TokenizedPrompt {
  if (subject.trim() === '') throw new InvalidRequestError('trace', 'subject', 'must not be empty');
  const charStart = prompt.indexOf(subject);
  if (charStart < 0) {
    throw new InvalidRequestError(
      'trace',
      'subject',
      `"${subject}" does not occur in the prompt "${prompt}"`,
    );
  }
  const tokenizer = model.requireTokenizer();
  const ids = promptTokenIds(model, prompt);
  if (ids.length === 0) throw new InvalidRequestError('trace', 'prompt', 'encodes to no tokens');
  const charEnd = charStart + subject.length;
  // Decoded length after each prefix; special tokens (BOS) decode to nothing when skipped.
  const ends = ids.map((_, k) => tokenizer.decode(ids.slice(0, k + 1), { skipSpecialTokens: true }).length);
  let subjectStart = -1;
  let subjectEnd = -1;
  for (let k = 0; k < ids.length; k++) {
    const begin = k === 0 ? 0 : (ends[k - 1] as number);
    const end = ends[k] as number;
    if (end > begin && end > charStart && begin < charEnd) {
      if (subjectStart < 0) subjectStart = k;
      subjectEnd = k + 1;
    }
  }
  if (subjectStart < 0) {
    throw new InvalidRequestError('trace', 'subject', `no token of the prompt covers "${subject}"`);
  }
  const labels = ids.map((id) => tokenizer.decode([id]));
  return { ids, labels, subjectStart, subjectEnd };
}
