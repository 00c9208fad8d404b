import { createRng, InvalidHparamsError, type Rng } from '@llmedit/core';
import type { CounterFactRecord } from '@llmedit/datasets';
import { createHeldOutChecker } from './held-out.js';
import { collectHeldOutStrings } from './held-out-set.js';
import {
  counterFactDemoSource,
  DEMO_TYPES,
  type DemoSource,
  type DemoType,
  makeDemo,
  zsreDemoSource,
} from './ike-demos.js';
import { IKE_DEMO_SEPARATOR } from './ike-format.js';
import { parseRecalledRelation, recalledRelationSentence } from './recalled.js';
import { type CorpusSources, loadCorpusSources } from './sources.js';
import { fillTemplate, poolRelationTemplates, relationKey, splitParaphrasePrompt } from './templates.js';
import { pick, shuffleInPlace } from './text.js';

export interface BuildCorpusOptions {
  /** Seed of every random choice (templates, prefixes, demonstrations, order). Default 0. */
  seed?: number;
  /** Probability that a declarative fact sentence gets a random prefix sentence before it. Default 0.3. */
  prefixFraction?: number;
  /** Relation templates used to state each CounterFact subject's true fact (rewrite template first). Default 4. */
  templatesPerFact?: number;
  /**
   * How many times as often the facts the benchmark measures appear: evaluation-split rewrite facts (with
   * fresh templates each round), their neighborhood prompts and the ZsRE evaluation questions. Default 2.
   */
  evalBoost?: number;
  /** Neighborhood prompts stated per training-split CounterFact record (all 10 for eval records). Default 2. */
  trainNeighborhoodPerRecord?: number;
  /** Attribute prompts stated per CounterFact record. Default 2. */
  attributePerRecord?: number;
  /** Number of multi-demonstration IKE blocks (2-4 demos then a final one). Default 500. */
  ikeBlocks?: number;
  /**
   * Number of IKE blocks whose new facts carry a target drawn from another training record of the same
   * relation (CounterFact) or from another training question (ZsRE): memory and context disagree, so the
   * answer can only come from the context. Default 0.
   */
  contextOnlyBlocks?: number;
  /** Prefix sentences longer than this are left out of the prefix pool (CounterFact's are mostly < 70). Default 80. */
  maxPrefixLength?: number;
  /**
   * Also hold out the evaluation paraphrase statements without their prefix ('Spike Hughes is native to'),
   * which the pooled templates otherwise state with the true object. Default false.
   */
  holdOutParaphraseStatements?: boolean;
  /** Pre-loaded records (tests pass them to avoid re-reading the files). */
  sources?: CorpusSources;
  /** Called for each candidate document dropped because it contains a held-out string. */
  onFiltered?: (document: string, heldOut: string, kind: CorpusKind) => void;
}

export interface Corpus {
  /** Each one a sequence of its own (the trainer appends the end-of-text token). Shuffled by the seed. */
  documents: string[];
  stats: Record<string, number>;
}

/** Document kinds, also the keys of the per-kind counts in `stats`. */
export const CORPUS_KINDS = [
  'cfTrueFact',
  'cfNeighborhood',
  'cfAttribute',
  'cfRecalled',
  'cfTrainParaphrase',
  'zsreQuestion',
  'zsreTrainRephrase',
  'zsreRecalled',
  'nq',
  'known',
  'ikeDemo',
  'ikeBlock',
  'ikeContextOnly',
] as const;
export type CorpusKind = (typeof CORPUS_KINDS)[number];

const DEFAULTS = {
  seed: 0,
  prefixFraction: 0.3,
  templatesPerFact: 4,
  evalBoost: 2,
  trainNeighborhoodPerRecord: 2,
  attributePerRecord: 2,
  ikeBlocks: 500,
  contextOnlyBlocks: 0,
  maxPrefixLength: 80,
};

// Independent random streams per section, so changing one section's volume leaves the others unchanged.
const STREAM = { facts: 1, prefix: 2, ike: 3, blocks: 4, order: 5, contextOnly: 6 } as const;

interface Candidate {
  kind: CorpusKind;
  text: string;
  /** The fact sentence without its prefix, for declarative facts. */
  sentence?: string;
}

function checkOptions(o: typeof DEFAULTS): void {
  if (!Number.isInteger(o.seed)) throw new InvalidHparamsError('seed', 'must be an integer');
  if (!(o.prefixFraction >= 0 && o.prefixFraction <= 1)) {
    throw new InvalidHparamsError('prefixFraction', `must be in [0, 1], got ${o.prefixFraction}`);
  }
  for (const field of ['templatesPerFact', 'evalBoost'] as const) {
    if (!Number.isInteger(o[field]) || o[field] < 1) {
      throw new InvalidHparamsError(field, `must be a positive integer, got ${o[field]}`);
    }
  }
  for (const field of [
    'trainNeighborhoodPerRecord',
    'attributePerRecord',
    'ikeBlocks',
    'contextOnlyBlocks',
    'maxPrefixLength',
  ] as const) {
    if (!Number.isInteger(o[field]) || o[field] < 0) {
      throw new InvalidHparamsError(field, `must be a non-negative integer, got ${o[field]}`);
    }
  }
}

/**
 * Builds the pretraining corpus of the default model (DESIGN.md section 4): the true facts of every
 * CounterFact and ZsRE record in several phrasings, ROME's known facts, the NQ locality answers, and
 * in-context update demonstrations from the training split, with every evaluation-split paraphrase,
 * portability question and counterfactual statement filtered out. Deterministic for a seed.
 */
export function buildCorpus(options: BuildCorpusOptions = {}): Corpus {
  const o = {
    seed: options.seed ?? DEFAULTS.seed,
    prefixFraction: options.prefixFraction ?? DEFAULTS.prefixFraction,
    templatesPerFact: options.templatesPerFact ?? DEFAULTS.templatesPerFact,
    evalBoost: options.evalBoost ?? DEFAULTS.evalBoost,
    trainNeighborhoodPerRecord: options.trainNeighborhoodPerRecord ?? DEFAULTS.trainNeighborhoodPerRecord,
    attributePerRecord: options.attributePerRecord ?? DEFAULTS.attributePerRecord,
    ikeBlocks: options.ikeBlocks ?? DEFAULTS.ikeBlocks,
    contextOnlyBlocks: options.contextOnlyBlocks ?? DEFAULTS.contextOnlyBlocks,
    maxPrefixLength: options.maxPrefixLength ?? DEFAULTS.maxPrefixLength,
  };
  checkOptions(o);
  const src = options.sources ?? loadCorpusSources();
  const cfEval = src.counterfact.eval;
  const cfTrain = src.counterfact.train;
  const cfAll = [...cfEval, ...cfTrain];
  const root = createRng(o.seed);
  const factRng = root.fork(STREAM.facts);
  const prefixRng = root.fork(STREAM.prefix);

  // Templates: every rewrite template, plus the phrasings of the training paraphrases only, so an
  // evaluation paraphrase is not turned into a template of its own relation.
  const pools = poolRelationTemplates(cfAll, cfTrain);
  const held = collectHeldOutStrings(cfEval, src.zsre.eval, pools);
  const checker = createHeldOutChecker([
    ...held.paraphrases,
    ...held.portability,
    ...held.counterfactuals,
    ...(options.holdOutParaphraseStatements === true ? held.paraphraseStatements : []),
  ]);

  const prefixes = collectPrefixes([...cfTrain, ...src.prefixDonors], pools, o.maxPrefixLength);
  const candidates: Candidate[] = [];
  let prefixEligible = 0;
  let prefixed = 0;
  const plain = (kind: CorpusKind, text: string): void => {
    candidates.push({ kind, text });
  };
  // Declarative facts: some get unrelated text before them, as CounterFact's paraphrase prompts have.
  const fact = (kind: CorpusKind, sentence: string): void => {
    prefixEligible++;
    if (prefixes.length > 0 && prefixRng.next() < o.prefixFraction) {
      prefixed++;
      candidates.push({ kind, text: `${pick(prefixRng, prefixes)} ${sentence}`, sentence });
    } else {
      candidates.push({ kind, text: sentence, sentence });
    }
  };

  const evalIds = new Set(cfEval.map((r) => r.caseId));
  for (const rec of cfAll) {
    const isEval = evalIds.has(rec.caseId);
    const rounds = isEval ? o.evalBoost : 1;
    const truth = rec.targetTrue.str;
    const others = (pools.get(relationKey(rec)) ?? []).filter((t) => t !== rec.promptTemplate);
    for (let round = 0; round < rounds; round++) {
      const chosen = [rec.promptTemplate, ...drawCycling(factRng, others, o.templatesPerFact - 1)];
      for (const template of chosen) fact('cfTrueFact', `${fillTemplate(template, rec.subject)} ${truth}`);
    }
    const neighbors = isEval
      ? Array.from({ length: rounds }, () => rec.neighborhoodPrompts).flat()
      : sampleItems(factRng, rec.neighborhoodPrompts, o.trainNeighborhoodPerRecord);
    for (const prompt of neighbors) fact('cfNeighborhood', `${prompt} ${truth}`);
    for (const prompt of sampleItems(factRng, rec.attributePrompts, o.attributePerRecord)) {
      fact('cfAttribute', `${prompt} ${rec.targetNew.str}`);
    }
    const triple = rec.portability?.recalledRelation;
    const parsed = triple === undefined ? undefined : parseRecalledRelation(triple);
    if (parsed !== undefined) fact('cfRecalled', recalledRelationSentence(parsed));
  }
  for (const rec of cfTrain) {
    for (const prompt of rec.paraphrasePrompts) plain('cfTrainParaphrase', `${prompt} ${rec.targetTrue.str}`);
  }

  const zsreEvalIds = new Set(src.zsre.eval.map((r) => r.index));
  for (const rec of [...src.zsre.eval, ...src.zsre.train]) {
    const answer = rec.answers[0] as string;
    const rounds = zsreEvalIds.has(rec.index) ? o.evalBoost : 1;
    for (let round = 0; round < rounds; round++) plain('zsreQuestion', `${rec.src} ${answer}`);
    if (rec.loc !== undefined && rec.locAns !== undefined) plain('nq', `${rec.loc} ${rec.locAns}`);
    const triple = rec.portability?.recalledRelation;
    const parsed = triple === undefined ? undefined : parseRecalledRelation(triple);
    if (parsed !== undefined) fact('zsreRecalled', recalledRelationSentence(parsed));
  }
  for (const rec of src.zsre.train) plain('zsreTrainRephrase', `${rec.rephrase} ${rec.answers[0] as string}`);
  for (const k of src.known) fact('known', `${k.prompt} ${k.attribute}`);

  // In-context update demonstrations, training split only.
  const ikeRng = root.fork(STREAM.ike);
  const cfDemos = cfTrain.map((rec) => counterFactDemoSource(rec, pools));
  const zsreDemos = src.zsre.train.map(zsreDemoSource);
  // One single demonstration per CounterFact training record (type drawn at random); the blocks add the
  // rest, ZsRE's included (its demonstrations are long, so they come only inside blocks).
  for (const source of cfDemos) {
    const demo = makeDemo(ikeRng, source, pick(ikeRng, DEMO_TYPES));
    if (demo !== undefined) plain('ikeDemo', demo);
  }
  const blockRng = root.fork(STREAM.blocks);
  for (let b = 0; b < o.ikeBlocks; b++) {
    // Mostly CounterFact statements (what the in-context probe asks), some ZsRE questions.
    const pool = blockRng.next() < 0.75 || zsreDemos.length === 0 ? cfDemos : zsreDemos;
    const block =
      pool.length === 0 ? undefined : makeBlock(blockRng, () => pick(blockRng, pool), 2 + blockRng.int(3));
    if (block !== undefined) plain('ikeBlock', block);
  }
  // Blocks whose new targets no document states: the model must read them from the context.
  const contextRng = root.fork(STREAM.contextOnly);
  const cfSwapped = swappedTargetSources(
    cfTrain,
    cfDemos,
    (rec) => relationKey(rec),
    (rec) => rec.targetTrue.str,
  );
  const zsreSwapped = swappedTargetSources(
    src.zsre.train,
    zsreDemos,
    () => '',
    (rec) => rec.answers[0] as string,
  );
  for (let b = 0; b < o.contextOnlyBlocks; b++) {
    const swapped = contextRng.next() < 0.75 || zsreSwapped.length === 0 ? cfSwapped : zsreSwapped;
    if (swapped.length === 0) break;
    const block = makeBlock(contextRng, () => pick(contextRng, swapped)(contextRng), 2 + contextRng.int(3));
    if (block !== undefined) plain('ikeContextOnly', block);
  }

  // Filter leaks, then count.
  const stats: Record<string, number> = {};
  for (const kind of CORPUS_KINDS) {
    stats[kind] = 0;
    stats[`filtered.${kind}`] = 0;
    stats[`chars.${kind}`] = 0;
  }
  const documents: string[] = [];
  const sentences = new Set<string>();
  let filtered = 0;
  for (const c of candidates) {
    const leak = checker.find(c.text);
    if (leak !== undefined) {
      options.onFiltered?.(c.text, leak, c.kind);
      filtered++;
      stats[`filtered.${c.kind}`] = (stats[`filtered.${c.kind}`] ?? 0) + 1;
      continue;
    }
    stats[c.kind] = (stats[c.kind] ?? 0) + 1;
    stats[`chars.${c.kind}`] = (stats[`chars.${c.kind}`] ?? 0) + c.text.length;
    documents.push(c.text);
    if (c.sentence !== undefined) sentences.add(c.sentence);
  }
  shuffleInPlace(root.fork(STREAM.order), documents);

  // How many evaluation paraphrase statements (without prefix) the pooled templates state with the true
  // object: the model has seen those phrasings, only not after the evaluation prefix.
  let evalStatementsStated = 0;
  for (const rec of cfEval) {
    const pool = pools.get(relationKey(rec)) ?? [];
    for (const prompt of rec.paraphrasePrompts) {
      const { statement } = splitParaphrasePrompt(prompt, rec.subject, pool);
      if (sentences.has(`${statement} ${rec.targetTrue.str}`)) evalStatementsStated++;
    }
  }
  stats.documents = documents.length;
  stats.characters = documents.reduce((sum, d) => sum + d.length, 0);
  stats.filtered = filtered;
  stats.heldOutStrings = checker.size;
  stats.prefixEligible = prefixEligible;
  stats.prefixed = prefixed;
  stats.prefixPool = prefixes.length;
  stats.relations = pools.size;
  stats.templates = [...pools.values()].reduce((sum, p) => sum + p.length, 0);
  stats.evalParaphraseStatementsStated = evalStatementsStated;
  return { documents, stats };
}

/** `count` items, distinct while the list lasts, then cycling through a fresh shuffle again. */
function drawCycling<T>(rng: Rng, items: readonly T[], count: number): T[] {
  if (items.length === 0 || count <= 0) return [];
  const out: T[] = [];
  while (out.length < count) {
    const round = shuffleInPlace(rng, [...items]);
    out.push(...round.slice(0, count - out.length));
  }
  return out;
}

/** `count` distinct items in random order (all of them, shuffled, when count >= length). */
function sampleItems<T>(rng: Rng, items: readonly T[], count: number): T[] {
  return shuffleInPlace(rng, [...items]).slice(0, count);
}

/** Prefix sentences: the text before the statement in each (training) paraphrase prompt, deduplicated. */
function collectPrefixes(
  records: readonly CounterFactRecord[],
  pools: ReadonlyMap<string, readonly string[]>,
  maxLength: number,
): string[] {
  const out = new Set<string>();
  for (const rec of records) {
    const pool = pools.get(relationKey(rec)) ?? [rec.promptTemplate];
    for (const prompt of rec.paraphrasePrompts) {
      const { prefix } = splitParaphrasePrompt(prompt, rec.subject, pool);
      if (prefix.length > 0 && prefix.length <= maxLength) out.add(prefix);
    }
  }
  return [...out];
}

/**
 * For each record, a function that gives its demonstration source with the new target replaced by another
 * record's answer of the same group (relation), different from its own true answer. Records whose group has
 * no other answer are left out.
 */
function swappedTargetSources<R>(
  records: readonly R[],
  sources: readonly DemoSource[],
  group: (record: R) => string,
  answer: (record: R) => string,
): ((rng: Rng) => DemoSource)[] {
  const answers = new Map<string, string[]>();
  for (const rec of records) {
    const list = answers.get(group(rec)) ?? [];
    list.push(answer(rec));
    answers.set(group(rec), list);
  }
  const out: ((rng: Rng) => DemoSource)[] = [];
  records.forEach((rec, i) => {
    const own = answer(rec);
    const others = [...new Set(answers.get(group(rec)))].filter((a) => a !== own);
    const source = sources[i]!;
    if (others.length === 0) return;
    out.push((rng) => ({ ...source, newFact: { ...source.newFact, target: pick(rng, others) } }));
  });
  return out;
}

/** `count` demonstrations of drawn sources, then a final one whose answer the model must produce. */
function makeBlock(rng: Rng, draw: () => DemoSource, count: number): string | undefined {
  const demos: string[] = [];
  for (let attempts = 0; demos.length <= count && attempts < 4 * (count + 1); attempts++) {
    const isFinal = demos.length === count;
    // The final demonstration is mostly a copy: the skill the in-context probe measures.
    const r = rng.next();
    const type: DemoType = isFinal
      ? r < 0.5
        ? 'copy'
        : r < 0.8
          ? 'update'
          : 'retain'
      : (DEMO_TYPES[rng.int(DEMO_TYPES.length)] as DemoType);
    const demo = makeDemo(rng, draw(), type);
    if (demo !== undefined) demos.push(demo);
  }
  return demos.length >= 2 ? demos.join(IKE_DEMO_SEPARATOR) : undefined;
}
