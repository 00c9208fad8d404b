import { type EditRequest, InvalidRequestError } from '@llmedit/core';
import { type CausalLM, encodeTargetPair } from '@llmedit/models';

/**
 * Which token of a prompt holds the fact (EasyEdit `fact_token`): the subject's last token (ROME's choice,
 * section 2 of Meng et al. 2022), its first token, or the prompt's last token.
 */
export type FactToken = 'subject_last' | 'subject_first' | 'last';

export const FACT_TOKENS: readonly FactToken[] = ['subject_last', 'subject_first', 'last'];

/** A prompt as token ids with the position whose key / value an edit reads or writes. */
export interface LocatedPrompt {
  readonly ids: number[];
  readonly position: number;
}

/** Braces of literal text doubled, as Python's str.format reads them: '{' -> '{{', '}' -> '}}'. */
export function escapeBraces(text: string): string {
  return text.replaceAll('{', '{{').replaceAll('}', '}}');
}

/**
 * The request's prompt as a template with '{}' where the subject goes (EasyEdit writes prompts this way;
 * llmedit requests hold the filled prompt, so the first occurrence of the subject becomes '{}'). Braces of
 * the prompt's own text are doubled, so a literal '{}' in a prompt stays text (see `fillSubject`). A
 * prompt that does not contain the subject but has a '{}' is taken as an EasyEdit template.
 */
export function subjectTemplate(
  request: EditRequest,
  record = 'request',
): { template: string; subject: string } {
  const subject = request.subject;
  if (subject === undefined || subject.trim() === '') {
    throw new InvalidRequestError(record, 'subject', 'is required by locate-then-edit methods (ROME, MEMIT)');
  }
  const at = request.prompt.indexOf(subject);
  if (at < 0 && request.prompt.includes('{}')) return { template: request.prompt, subject };
  if (at < 0) {
    throw new InvalidRequestError(
      record,
      'subject',
      `${JSON.stringify(subject)} does not occur in the prompt ${JSON.stringify(request.prompt)}`,
    );
  }
  return {
    template: `${escapeBraces(request.prompt.slice(0, at))}{}${escapeBraces(request.prompt.slice(at + subject.length))}`,
    subject,
  };
}

function isPrefix(head: readonly number[], ids: readonly number[], from: number): boolean {
  if (head.length > ids.length - from) return false;
  for (let i = 0; i < head.length; i++) if (head[i] !== ids[from + i]) return false;
  return true;
}

/** 1 when `ids` starts with a BOS that the text's own tokens lack (LLaMA prompts), else 0. */
function leadingSpecialTokens(model: CausalLM, ids: readonly number[]): number {
  const bos = model.tokenizer?.bosTokenId ?? model.config.bosTokenId;
  return model.config.architecture === 'llama' && bos !== undefined && ids[0] === bos ? 1 : 0;
}

/**
 * Token index (into `ids`, the model's tokenization of `text`, which may be followed by more tokens) of the
 * fact token of the subject occupying text[start, end). Tokenizes the text up to the subject's end (or its
 * start) and checks that it is a prefix of `ids`, as ROME's repr_tools does; when a token straddles the
 * boundary, falls back to the token whose decoded span covers the boundary character.
 */
export function factTokenIndex(
  model: CausalLM,
  text: string,
  start: number,
  end: number,
  ids: readonly number[],
  factToken: FactToken,
  textTokens = ids.length,
): number {
  if (factToken === 'last') return textTokens - 1;
  const tokenizer = model.requireTokenizer();
  const lead = leadingSpecialTokens(model, ids);
  // Subject-last: the token containing character end - 1; subject-first: the one containing `start`, where
  // a space before the subject belongs to the subject's first token in byte-level BPE.
  const cut = factToken === 'subject_last' ? end : text.slice(0, start).trimEnd().length;
  const head = cut === 0 ? [] : tokenizer.encode(text.slice(0, cut));
  if (isPrefix(head, ids, lead) && head.length + lead <= textTokens) {
    const index = factToken === 'subject_last' ? lead + head.length - 1 : lead + head.length;
    if (index >= lead && index < textTokens) return index;
  }
  // Fallback: grow the decoded prefix until it covers the character.
  const boundary = factToken === 'subject_last' ? end : cut + 1;
  for (let k = lead + 1; k <= textTokens; k++) {
    const decoded = tokenizer.decode(ids.slice(lead, k), { skipSpecialTokens: true });
    if (decoded.length >= boundary) return k - 1;
  }
  return textTokens - 1;
}

/**
 * Fill a '{}' template with the subject: the text and the subject's character span. As in Python's
 * str.format, '{{' and '}}' are literal braces; other single braces are kept as they are. Exactly one '{}'
 * slot is required.
 */
export function fillSubject(template: string, subject: string): { text: string; start: number; end: number } {
  let text = '';
  let start = -1;
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    const next = template[i + 1];
    if (char === '{' && next === '}') {
      if (start >= 0) {
        throw new InvalidRequestError(
          'template',
          'prompt',
          `has more than one '{}' slot (write a literal {} as '{{}}'): ${template}`,
        );
      }
      start = text.length;
      text += subject;
      i++;
    } else if ((char === '{' && next === '{') || (char === '}' && next === '}')) {
      text += char;
      i++;
    } else {
      text += char;
    }
  }
  if (start < 0) throw new InvalidRequestError('template', 'prompt', `has no '{}' slot: ${template}`);
  return { text, start, end: start + subject.length };
}

/** The ids of a '{}' template filled with the subject (BOS first for LLaMA) and its fact-token position. */
export function locatePrompt(
  model: CausalLM,
  template: string,
  subject: string,
  factToken: FactToken,
): LocatedPrompt {
  const { text, start, end } = fillSubject(template, subject);
  const tokenizer = model.requireTokenizer();
  const bos = tokenizer.bosTokenId ?? model.config.bosTokenId;
  const own = tokenizer.encode(text);
  const ids = model.config.architecture === 'llama' && bos !== undefined ? [bos, ...own] : own;
  return { ids, position: factTokenIndex(model, text, start, end, ids, factToken) };
}

/** A rewriting prompt for target optimisation: the prompt ids, the target ids after it, the fact position. */
export interface TargetPrompt {
  readonly promptIds: number[];
  readonly targetIds: number[];
  readonly position: number;
}

/**
 * A '{}' template filled with the subject, followed by the target, tokenized as llmedit scores it
 * (`prompt + " " + target`, split at the boundary), with the fact-token position in the prompt.
 */
export function locateTargetPrompt(
  model: CausalLM,
  template: string,
  subject: string,
  target: string,
  factToken: FactToken,
  record = 'request',
): TargetPrompt {
  const { text, start, end } = fillSubject(template, subject);
  const { promptIds, targetIds } = encodeTargetPair(model, text, target);
  if (targetIds.length === 0) throw new InvalidRequestError(record, 'targetNew', 'encodes to no tokens');
  const position = factTokenIndex(model, text, start, end, promptIds, factToken);
  return { promptIds: [...promptIds], targetIds: [...targetIds], position };
}
