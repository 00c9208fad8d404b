import { createRng, InvalidHparamsError, type Rng } from '@llmedit/core';
import type { CounterFactRecord, ZsreRecord } from '@llmedit/datasets';
import { createHeldOutChecker } from './held-out.js';
import { collectHeldOutStrings } from './held-out-set.js';
import { formatIkeDemo, IKE_DEMO_SEPARATOR, type IkeFact } from './ike-format.js';
import { parseRecalledRelation, recalledRelationSentence } from './recalled.js';
import { type CorpusSources, loadCorpusSources } from './sources.js';
import {
  fillTemplate,
  poolRelationTemplates,
  relationKey,
  splitParaphrasePrompt,
} from './templates.js';
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
  /** Number of multi-demonstration IKE blocks (2-4 demos then a final one). Default 1000. */
  ikeBlocks?: number;
  /**
   * Also hold out the evaluation paraphrase statements without their prefix ('Spike Hughes is native to'),
   * which the pooled templates otherwise state with the true object. Default false.
   */
  holdOutParaphraseStatements?: boolean;
  /** Pre-loaded records (tests pass them to avoid re-reading the files). */
  sources?: CorpusSources;
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
] as const;
export type CorpusKind = (typeof CORPUS_KINDS)[number];

const DEFAULTS = {
  seed: 0,
  prefixFraction: 0.3,
  templatesPerFact: 4,
  evalBoost: 2,
  ikeBlocks: 1000,
};

// Independent random streams per section, so changing one section's volume leaves the others unchanged.
const STREAM = { facts: 1, prefix: 2, ike: 3, blocks: 4, order: 5 } as const;

interface Candidate {
  kind: CorpusKind;
  text: string;
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
  if (!Number.isInteger(o.ikeBlocks) || o.ikeBlocks < 0) {
    throw new InvalidHparamsError('ikeBlocks', `must be a non-negative integer, got ${o.ikeBlocks}`);
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
    ikeBlocks: options.ikeBlocks ?? DEFAULTS.ikeBlocks,
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

  const prefixes = collectPrefixes([...cfTrain, ...src.prefixDonors], pools);
  const candidates: Candidate[] = [];
  const sentences = new Set<string>();
  let prefixEligible = 0;
  let prefixed = 0;
  const plain = (kind: CorpusKind, text: string): void => {
    candidates.push({ kind, text });
  };
  // Declarative facts: some get unrelated text before them, as CounterFact's paraphrase prompts have.
  const fact = (kind: CorpusKind, sentence: string): void => {
    sentences.add(sentence);
    prefixEligible++;
    if (prefixes.length > 0 && prefixRng.next() < o.prefixFraction) {
      prefixed++;
      candidates.push({ kind, text: `${pick(prefixRng, prefixes)} ${sentence}` });
    } else {
      candidates.push({ kind, text: sentence });
    }
  };

  const evalIds = new Set(cfEval.map((r) => r.caseId));
  for (const rec of cfAll) {
    const rounds = evalIds.has(rec.caseId) ? o.evalBoost : 1;
    const truth = rec.targetTrue.str;
    const others = (pools.get(relationKey(rec)) ?? []).filter((t) => t !== rec.promptTemplate);
    for (let round = 0; round < rounds; round++) {
      const chosen = [rec.promptTemplate, ...drawCycling(factRng, others, o.templatesPerFact - 1)];
      for (const template of chosen) fact('cfTrueFact', `${fillTemplate(template, rec.subject)} ${truth}`);
      for (const prompt of rec.neighborhoodPrompts) fact('cfNeighborhood', `${prompt} ${truth}`);
    }
    for (const prompt of rec.attributePrompts) fact('cfAttribute', `${prompt} ${rec.targetNew.str}`);
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
  for (const source of [...cfDemos, ...zsreDemos]) {
    for (const type of DEMO_TYPES) {
      const demo = makeDemo(ikeRng, source, type);
      if (demo !== undefined) plain('ikeDemo', demo);
    }
  }
  const blockRng = root.fork(STREAM.blocks);
  for (let b = 0; b < o.ikeBlocks; b++) {
    // Mostly CounterFact statements (what the in-context probe asks), some ZsRE questions.
    const pool = blockRng.next() < 0.75 || zsreDemos.length === 0 ? cfDemos : zsreDemos;
    const block = makeBlock(blockRng, pool, 2 + blockRng.int(3));
    if (block !== undefined) plain('ikeBlock', block);
  }

  // Filter leaks, then count.
  const stats: Record<string, number> = {};
  for (const kind of CORPUS_KINDS) {
    stats[kind] = 0;
    stats[`filtered.${kind}`] = 0;
    stats[`chars.${kind}`] = 0;
  }
  const documents: string[] = [];
  let filtered = 0;
  for (const c of candidates) {
    const leak = checker.find(c.text);
    if (leak !== undefined) {
      if (process.env.CORPUS_DEBUG) console.log('FILTER', c.kind, JSON.stringify(c.text), '<<', JSON.stringify(leak));
      filtered++;
      stats[`filtered.${c.kind}`] = (stats[`filtered.${c.kind}`] ?? 0) + 1;
      continue;
    }
    stats[c.kind] = (stats[c.kind] ?? 0) + 1;
    stats[`chars.${c.kind}`] = (stats[`chars.${c.kind}`] ?? 0) + c.text.length;
    documents.push(c.text);
  }
  shuffleInPlace(root.fork(STREAM.order), documents);

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

/** Prefix sentences: the text before the statement in each (training) paraphrase prompt, deduplicated. */
function collectPrefixes(records: readonly CounterFactRecord[], pools: ReadonlyMap<string, readonly string[]>) {
  const out = new Set<string>();
  for (const rec of records) {
    const pool = pools.get(relationKey(rec)) ?? [rec.promptTemplate];
    for (const prompt of rec.paraphrasePrompts) {
      const { prefix } = splitParaphrasePrompt(prompt, rec.subject, pool);
      if (prefix.length > 0) out.add(prefix);
    }
  }
  return [...out];
}

const DEMO_TYPES = ['copy', 'update', 'retain'] as const;
type DemoType = (typeof DEMO_TYPES)[number];

/** The pieces of one training record that demonstrations are made of. */
interface DemoSource {
  newFact: IkeFact;
  /** Other phrasings of the edited prompt (answered with the new target). */
  rephrases: string[];
  /** Unrelated facts that keep their answer. */
  retain: IkeFact[];
}

function counterFactDemoSource(rec: CounterFactRecord, pools: ReadonlyMap<string, readonly string[]>): DemoSource {
  const pool = pools.get(relationKey(rec)) ?? [rec.promptTemplate];
  const rephrases = new Set<string>();
  for (const prompt of rec.paraphrasePrompts) {
    rephrases.add(prompt);
    rephrases.add(splitParaphrasePrompt(prompt, rec.subject, pool).statement);
  }
  rephrases.delete(rec.prompt);
  return {
    newFact: { prompt: rec.prompt, target: rec.targetNew.str },
    rephrases: [...rephrases],
    retain: rec.neighborhoodPrompts.map((prompt) => ({ prompt, target: rec.targetTrue.str })),
  };
}

function zsreDemoSource(rec: ZsreRecord): DemoSource {
  return {
    newFact: { prompt: rec.src, target: rec.alt },
    rephrases: [rec.rephrase],
    retain: rec.loc !== undefined && rec.locAns !== undefined ? [{ prompt: rec.loc, target: rec.locAns }] : [],
  };
}

/** One demonstration of the given type (undefined when the record has nothing of that type). */
export function makeDemo(rng: Rng, source: DemoSource, type: DemoType): string | undefined {
  const { newFact } = source;
  if (type === 'copy') return formatIkeDemo(newFact, newFact);
  if (type === 'update') {
    if (source.rephrases.length === 0) return undefined;
    return formatIkeDemo(newFact, { prompt: pick(rng, source.rephrases), target: newFact.target });
  }
  if (source.retain.length === 0) return undefined;
  return formatIkeDemo(newFact, pick(rng, source.retain));
}

/** `count` demonstrations of random training records, then a final one whose answer the model must produce. */
function makeBlock(rng: Rng, pool: readonly DemoSource[], count: number): string | undefined {
  if (pool.length === 0) return undefined;
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
    const demo = makeDemo(rng, pick(rng, pool), type);
    if (demo !== undefined) demos.push(demo);
  }
  return demos.length >= 2 ? demos.join(IKE_DEMO_SEPARATOR) : undefined;
}
