import {
  type CounterFactRecord,
  datasetPath,
  type KnownFact,
  loadCounterFactFile,
  loadKnownFactsFile,
  loadZsreFile,
  readSplitIds,
  selectByIds,
  type ZsreRecord,
} from '@llmedit/datasets';

/** Every record the corpus and the probes are built from, split as the benchmark splits them. */
export interface CorpusSources {
  counterfact: { eval: CounterFactRecord[]; train: CounterFactRecord[] };
  zsre: { eval: ZsreRecord[]; train: ZsreRecord[] };
  known: KnownFact[];
  /**
   * Records of the CounterFact variant files (Subject Replace, Distracting Neighbor) whose case ids are
   * not in the evaluation split: their paraphrase prompts only add prefix text.
   */
  prefixDonors: CounterFactRecord[];
}

let cached: CorpusSources | undefined;

/** Loads (once per process) the shipped data files the corpus uses. */
export function loadCorpusSources(): CorpusSources {
  if (cached !== undefined) return cached;
  const cf = loadCounterFactFile(datasetPath('counterfact')).records;
  const zsre = loadZsreFile(datasetPath('zsre')).records;
  const cfEvalIds = readSplitIds('counterfact', 'eval');
  const evalSet = new Set(cfEvalIds);
  const donors = [
    ...loadCounterFactFile(datasetPath('counterfactSubjectReplace')).records,
    ...loadCounterFactFile(datasetPath('counterfactDistractingNeighbor')).records,
  ].filter((r) => !evalSet.has(r.caseId));
  cached = {
    counterfact: {
      eval: selectByIds(cf, cfEvalIds, (r) => r.caseId, 'counterfact eval split'),
      train: selectByIds(
        cf,
        readSplitIds('counterfact', 'train'),
        (r) => r.caseId,
        'counterfact train split',
      ),
    },
    zsre: {
      eval: selectByIds(zsre, readSplitIds('zsre', 'eval'), (r) => r.index, 'zsre eval split'),
      train: selectByIds(zsre, readSplitIds('zsre', 'train'), (r) => r.index, 'zsre train split'),
    },
    known: loadKnownFactsFile(datasetPath('known1000')).records,
    prefixDonors: donors,
  };
  return cached;
}
