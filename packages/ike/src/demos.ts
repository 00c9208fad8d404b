// IKE's demonstration store (Zheng et al. 2023, "Can We Edit Factual Knowledge by In-Context Learning?",
// arXiv:2305.12740, section 3.2): copy, update and retain demonstrations of training facts, retrieved by
// similarity to the new fact (reference/easyedit.md section 4.13).
import { type EditRequest, InvalidRequestError, validateEditRequests } from '@llmedit/core';
import { formatIkeDemo, formatIkeQuery, type IkeFact } from '@llmedit/pretrained';
import { Bm25Index, type Bm25Options } from './bm25.js';

/** EasyEdit's three demonstration types (`encode_ike_facts`). */
export const DEMO_KINDS = ['copy', 'update', 'retain'] as const;
export type DemoKind = (typeof DEMO_KINDS)[number];

/** One demonstration: "New Fact: {p} {t}\nPrompt: {probe} {answer}". */
export interface Demo {
  readonly kind: DemoKind;
  /** Id of the training record it was made from (its index in the list when the record has none). */
  readonly record: string;
  readonly text: string;
  /** `prompt \u0000 targetNew` of its record: an edit of the very same fact never retrieves it. */
  readonly factKey: string;
}

/** A retrieved demonstration and its BM25 score. */
export interface RetrievedDemo {
  readonly demo: Demo;
  readonly score: number;
}

/** The answer a locality probe is scored against (the first alias when there are several). */
function firstAnswer(groundTruth: string | readonly string[]): string | undefined {
  return typeof groundTruth === 'string' ? groundTruth : groundTruth[0];
}

export function factKeyOf(request: Pick<EditRequest, 'prompt' | 'targetNew'>): string {
  return `${request.prompt}\u0000${request.targetNew}`;
}

/**
 * The demonstrations of one training record, as EasyEdit builds them: copy (its own prompt answered with
 * its new target), update (its first rephrase answered with the new target) and retain (its first locality
 * probe answered with that probe's own answer). A record without a rephrase or a locality probe gives
 * fewer demonstrations.
 */
export function demosOf(request: EditRequest, record: string): Demo[] {
  const fact: IkeFact = { prompt: request.prompt, target: request.targetNew };
  const factKey = factKeyOf(request);
  const demos: Demo[] = [{ kind: 'copy', record, text: formatIkeDemo(fact, fact), factKey }];
  const rephrase = request.rephrasePrompts?.find((p) => p.trim() !== '');
  if (rephrase !== undefined) {
    demos.push({
      kind: 'update',
      record,
      text: formatIkeDemo(fact, { prompt: rephrase, target: request.targetNew }),
      factKey,
    });
  }
  for (const probes of Object.values(request.locality ?? {})) {
    const probe = probes.find((p) => p.prompt.trim() !== '' && (firstAnswer(p.groundTruth) ?? '') !== '');
    if (probe === undefined) continue;
    demos.push({
      kind: 'retain',
      record,
      text: formatIkeDemo(fact, { prompt: probe.prompt, target: firstAnswer(probe.groundTruth) as string }),
      factKey,
    });
    break;
  }
  return demos;
}

/**
 * A searchable store of demonstrations (training facts only). Retrieval is BM25 over each
 * demonstration's text with the query "New Fact: {p} {t}\nPrompt: {p}" (EasyEdit's query sentence).
 */
export class DemoPool {
  readonly demos: readonly Demo[];
  private readonly index: Bm25Index;

  constructor(demos: readonly Demo[], options: Bm25Options = {}) {
    this.demos = demos;
    this.index = new Bm25Index(
      demos.map((d) => d.text),
      options,
    );
  }

  /**
   * Build the store from training requests; `source` names them in validation errors
   * ("ike demo pool[12]: field 'prompt' ...").
   */
  static fromRequests(requests: readonly unknown[], source = 'ike demo pool', options: Bm25Options = {}) {
    const valid = validateEditRequests(requests, source);
    return new DemoPool(
      valid.flatMap((request, i) => demosOf(request, request.id ?? String(i))),
      options,
    );
  }

  get size(): number {
    return this.demos.length;
  }

  /**
   * The `k` demonstrations most similar to the new fact of `request`, most similar first. Demonstrations of
   * the same fact (same prompt and target) are left out, so an edit never sees its own answer.
   */
  retrieve(request: Pick<EditRequest, 'prompt' | 'targetNew'>, k: number): RetrievedDemo[] {
    if (!Number.isInteger(k) || k < 0) {
      throw new InvalidRequestError('ike retrieval', 'k', `must be a non-negative integer, got ${k}`);
    }
    if (k === 0) return [];
    const own = factKeyOf(request);
    const query = formatIkeQuery({ prompt: request.prompt, target: request.targetNew }, request.prompt);
    const out: RetrievedDemo[] = [];
    // Over-fetch by the few demonstrations a record contributes, to make up for skipped own-fact ones.
    for (const hit of this.index.search(query, k + DEMO_KINDS.length)) {
      const demo = this.demos[hit.index] as Demo;
      if (demo.factKey === own) continue;
      out.push({ demo, score: hit.score });
      if (out.length === k) break;
    }
    return out;
  }
}
