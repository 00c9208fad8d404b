import { describeBackend } from '@llmedit/core';
import { type AggregateReport, aggregate, bootstrapMean, type RecordResult } from '@llmedit/evaluate';
import { type BenchDataset, isKnowEditDataset, type ShippedDataset } from './flags.js';
import {
  MULTIMODAL_DATASETS,
  MULTIMODAL_METRIC_LABELS,
  MULTIMODAL_METRICS,
  type MultimodalDataset,
} from './multimodal.js';
import {
  EASYEDIT_GPU_MEMORY,
  MMEDIT_M_GENERALITY,
  type PublishedColumn,
  type PublishedNames,
  ROME_TABLE_1,
  ROME_TABLE_4,
  SURVEY_TABLE_1,
  UNEDITED,
  WISE_TABLE_2,
  YAO_EDIT_TIME,
} from './published.js';
import { type RankAgreement, rankAgreement } from './rank.js';
import type { BenchResults, EditRecord } from './results.js';
import { GE_PROMPTS } from './run.js';
import type { SequentialPoint } from './sequential.js';

/** Row id of the unedited model. */
export const UNEDITED_ROW = 'unedited';

/** One of our numbers: a mean with its 95% interval, in display units; or text. */
export interface Cell {
  mean: number;
  low?: number;
  high?: number;
  /** Records behind the mean. */
  n?: number;
  /** Shown instead of the number (e.g. one-time cost descriptions). */
  text?: string;
}

/** A published column beside one of ours: values by our row id (null: the paper reports a failure). */
export interface PublishedBeside {
  label: string;
  citation: string;
  /** Digits the source prints. */
  digits: number;
  values: Map<string, number | null>;
  /** Rank agreement of our column with this one over the methods present in both (unedited row excluded). */
  agreement: RankAgreement;
}

export interface Column {
  key: string;
  label: string;
  /** Digits after the point for our numbers. */
  digits: number;
  ours: Map<string, Cell>;
  published: PublishedBeside[];
}

export interface Row {
  id: string;
  label: string;
}

export interface Table {
  id: string;
  title: string;
  caption: string;
  rows: Row[];
  columns: Column[];
}

interface MethodRows {
  rows: Row[];
  /** Our row id -> published names of the method. */
  names: Map<string, PublishedNames>;
}

function methodRows(results: BenchResults, withUnedited: boolean): MethodRows {
  const rows: Row[] = withUnedited ? [{ id: UNEDITED_ROW, label: '(unedited)' }] : [];
  const names = new Map<string, PublishedNames>();
  for (const m of results.methods) {
    rows.push({ id: m.id, label: m.id });
    names.set(m.id, m.published);
  }
  return { rows, names };
}

/** Aggregates of every (method, data set) group and of the unedited model, with seeded bootstrap intervals. */
export interface Aggregates {
  post: Map<string, AggregateReport>;
  pre: Map<BenchDataset, AggregateReport>;
}

const groupKey = (method: string, dataset: string) => `${method}\u0000${dataset}`;

function successful(records: readonly EditRecord[]): RecordResult[] {
  return records.filter((r) => r.error === undefined).map((r) => ({ id: r.id, metrics: r.metrics }));
}

export function aggregateResults(results: BenchResults): Aggregates {
  const seed = results.options.seed;
  const groups = new Map<string, EditRecord[]>();
  for (const record of results.records) {
    const key = groupKey(record.method, record.dataset);
    let list = groups.get(key);
    if (list === undefined) {
      list = [];
      groups.set(key, list);
    }
    list.push(record);
  }
  const post = new Map<string, AggregateReport>();
  for (const [key, records] of groups) post.set(key, aggregate(successful(records), { seed }));
  const pre = new Map<BenchDataset, AggregateReport>();
  for (const dataset of results.options.datasets) {
    const records = results.pre.filter((p) => p.dataset === dataset);
    if (records.length > 0)
      pre.set(
        dataset,
        aggregate(
          records.map((r) => ({ id: r.id, metrics: r.metrics })),
          { seed },
        ),
      );
  }
  return { post, pre };
}

function cellOf(report: AggregateReport | undefined, metric: string, scale: number): Cell | undefined {
  const m = report?.[metric];
  if (m === undefined || !Number.isFinite(m.mean)) return undefined;
  return { mean: m.mean * scale, low: m.interval.low * scale, high: m.interval.high * scale, n: m.n };
}

function publishedBeside(
  label: string,
  citation: string,
  digits: number,
  column: PublishedColumn,
  rows: MethodRows,
  pick: (names: PublishedNames) => string | undefined,
  ours: Map<string, Cell>,
  unedited?: number | null,
): PublishedBeside {
  const values = new Map<string, number | null>();
  for (const [id, names] of rows.names) {
    const name = pick(names);
    if (name !== undefined && name in column) values.set(id, column[name] ?? null);
  }
  if (unedited !== undefined) values.set(UNEDITED_ROW, unedited);
  const oursByMethod = new Map<string, number>();
  const theirs = new Map<string, number>();
  for (const [id] of rows.names) {
    const mine = ours.get(id)?.mean;
    if (mine !== undefined) oursByMethod.set(id, mine);
    const value = values.get(id);
    if (value !== undefined && value !== null) theirs.set(id, value);
  }
  return { label, citation, digits, values, agreement: rankAgreement(oursByMethod, theirs) };
}

const SURVEY_METRICS = [
  { key: 'reliability', metric: 'reliability', label: 'Reliability' },
  { key: 'generalization', metric: 'generalization', label: 'Generalization' },
  { key: 'locality', metric: 'locality.neighborhood', label: 'Locality' },
  { key: 'portability', metric: 'portability', label: 'Portability' },
  { key: 'fluency', metric: 'fluency', label: 'Fluency' },
] as const;

const SHIPPED_LABEL: Record<ShippedDataset, string> = {
  zsre: 'ZsRE',
  counterfact: 'CounterFact',
  'zsre-rome': "ZsRE, ROME's protocol",
};

/** 'ZsRE', 'CounterFact', 'KnowEdit wikibio'. */
function datasetLabel(dataset: BenchDataset): string {
  return isKnowEditDataset(dataset)
    ? `KnowEdit ${dataset.slice('knowedit-'.length)}`
    : SHIPPED_LABEL[dataset];
}

/** Table A (Yao et al. Table 1 layout): one table per data set, percent; fluency is n-gram entropy x 100. */
export function tableA(results: BenchResults, agg: Aggregates, dataset: BenchDataset): Table {
  const rows = methodRows(results, true);
  // KnowEdit's locality is its summary: the mean over its probe kinds (Relation_Specificity, Forgetfulness).
  const knowEdit = isKnowEditDataset(dataset);
  const columns: Column[] = SURVEY_METRICS.map(({ key, metric: surveyMetric, label }) => {
    const metric = knowEdit && key === 'locality' ? 'locality' : surveyMetric;
    const ours = new Map<string, Cell>();
    for (const row of rows.rows) {
      const report = row.id === UNEDITED_ROW ? agg.pre.get(dataset) : agg.post.get(groupKey(row.id, dataset));
      const cell = cellOf(report, metric, 100);
      if (cell !== undefined) ours.set(row.id, cell);
    }
    const published: PublishedBeside[] = [];
    if (
      (dataset === 'zsre' || dataset === 'counterfact') &&
      (key === 'reliability' || key === 'generalization' || key === 'locality')
    ) {
      for (const model of SURVEY_TABLE_1.models) {
        published.push(
          publishedBeside(
            model,
            SURVEY_TABLE_1.source.citation,
            2,
            SURVEY_TABLE_1.values[dataset][model][key],
            rows,
            (n) => n.survey,
            ours,
          ),
        );
      }
    }
    return { key, label, digits: 1, ours, published };
  });
  return {
    id: `A-${dataset}`,
    title: `Table A (${datasetLabel(dataset)}): the survey's layout`,
    caption:
      'Percent, mean over edited records with a 95% bootstrap interval. Reliability and Generalization: ' +
      'teacher-forced token accuracy of the new target after the edit prompt and its rephrases; Locality: ' +
      'share of the neighborhood answer tokens whose argmax is unchanged by the edit; Portability: token ' +
      'accuracy on the one-hop / subject-replace / inverse-relation questions (mean over kinds); Fluency: ' +
      'weighted bi/tri-gram entropy x 100 of a 100-token top-5 sample from the edit prompt. Beside: Yao et al. ' +
      "2023 Table 1 (GPT-J and T5-XL; '—' = the method fails on that model).",
    rows: rows.rows,
    columns,
  };
}

const ROME_METRICS = [
  { key: 'S', label: 'Score' },
  { key: 'ES', label: 'ES' },
  { key: 'PS', label: 'PS' },
  { key: 'NS', label: 'NS' },
  { key: 'EM', label: 'EM' },
  { key: 'PM', label: 'PM' },
  { key: 'NM', label: 'NM' },
  { key: 'GE', label: 'GE' },
] as const;

/**
 * Table B (ROME Table 4 layout, CounterFact), in two parts so that each stays readable beside its published
 * columns: B1 the success rates and Score, B2 the magnitudes and generation entropy.
 */
export function tableB(results: BenchResults, agg: Aggregates, part: 1 | 2): Table {
  const rows = methodRows(results, true);
  const metrics = part === 1 ? ROME_METRICS.slice(0, 4) : ROME_METRICS.slice(4);
  const columns: Column[] = metrics.map(({ key, label }) => {
    const ours = new Map<string, Cell>();
    for (const row of rows.rows) {
      const report =
        row.id === UNEDITED_ROW ? agg.pre.get('counterfact') : agg.post.get(groupKey(row.id, 'counterfact'));
      const cell = cellOf(report, key, 100);
      if (cell !== undefined) ours.set(row.id, cell);
    }
    const published = ROME_TABLE_4.models.map((model) => {
      const column = ROME_TABLE_4.values[model][key] as PublishedColumn;
      return publishedBeside(
        model,
        ROME_TABLE_4.source.citation,
        1,
        column,
        rows,
        (n) => n.rome,
        ours,
        column[UNEDITED],
      );
    });
    return { key, label, digits: 1, ours, published };
  });
  return {
    id: `B${part}`,
    title:
      part === 1
        ? "Table B1 (CounterFact): ROME's layout, success rates"
        : "Table B2 (CounterFact): ROME's layout, magnitudes and fluency",
    caption:
      part === 1
        ? 'ES / PS / NS: share of edit / paraphrase / neighborhood prompts where the new (for NS: the true) ' +
          'object is more likely than the other (mean token log-probability); Score: harmonic mean of ES, ' +
          'PS and NS. Percent with 95% bootstrap intervals. Beside: ROME Table 4 (GPT-2 XL, GPT-J).'
        : "EM / PM / NM: mean difference of the two objects' (geometric-mean token) probabilities on the edit / " +
          'paraphrase / neighborhood prompts, in points; GE: generation entropy x 100 of 100-token top-5 samples from ' +
          `the record's first ${GE_PROMPTS} generation prompts. 95% bootstrap intervals. Beside: ROME Table 4 ` +
          '(GPT-2 XL, GPT-J).',
    rows: rows.rows,
    columns,
  };
}

const ROME_ZSRE_METRICS = [
  { key: 'efficacy', label: 'Efficacy' },
  { key: 'paraphrase', label: 'Paraphrase' },
  { key: 'specificity', label: 'Specificity' },
] as const;

/**
 * Table B3 (ROME Table 1 layout, zsRE under ROME's own protocol: the 'zsre-rome' data set): Efficacy,
 * Paraphrase, Specificity beside ROME's published GPT-2 XL numbers. Published editors are matched by the
 * methods' ROME names (`published.rome`, as in Table B).
 */
export function tableB3(results: BenchResults, agg: Aggregates): Table {
  const rows = methodRows(results, true);
  const columns: Column[] = ROME_ZSRE_METRICS.map(({ key, label }) => {
    const ours = new Map<string, Cell>();
    for (const row of rows.rows) {
      const report =
        row.id === UNEDITED_ROW ? agg.pre.get('zsre-rome') : agg.post.get(groupKey(row.id, 'zsre-rome'));
      const cell = cellOf(report, key, 100);
      if (cell !== undefined) ours.set(row.id, cell);
    }
    const published = ROME_TABLE_1.models.map((model) => {
      const column: PublishedColumn = ROME_TABLE_1.values[model][key];
      return publishedBeside(
        model,
        ROME_TABLE_1.source.citation,
        1,
        column,
        rows,
        (n) => n.rome,
        ours,
        column[UNEDITED],
      );
    });
    return { key, label, digits: 1, ours, published };
  });
  return {
    id: 'B3',
    title: "Table B3 (ZsRE): ROME's zsRE protocol",
    caption:
      "ROME's own zsRE evaluation (experiments/py/eval_utils_zsre.py): each record is edited to its true " +
      "answer answers[0] (not EasyEdit's alt). Efficacy / Paraphrase: share of the answer tokens that are the " +
      'argmax after the question / its rephrase plus the preceding answer tokens (each prefix re-tokenized as ' +
      'text); Specificity: the same for the NQ question, with "?" appended, against its ground-truth answer ' +
      "(not against the unedited model). Pooled over a record's tokens, then the mean over records; percent " +
      'with 95% bootstrap intervals. Beside: ROME Table 1 (GPT-2 XL), matched by the ROME names of Table B ' +
      '(ft-l is FT+L, mend is MEND); its FT, KE-zsRE and MEND-zsRE rows are matched to none of ours.',
    rows: rows.rows,
    columns,
  };
}

/** A mean over a Table E point's records with its seeded bootstrap interval, x100; undefined when none is finite. */
function sequenceCell(values: readonly number[] | undefined, seed: number): Cell | undefined {
  const finite = (values ?? []).filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  const interval = bootstrapMean(finite, { seed });
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  return { mean: mean * 100, low: interval.low * 100, high: interval.high * 100, n: finite.length };
}

const SEQUENTIAL_COLUMNS = [
  { key: 'reliability', label: 'Rel.' },
  { key: 'generalization', label: 'Gen.' },
  { key: 'locality', label: 'Loc.' },
  { key: 'portability', label: 'Port.' },
] as const;

/** The point of a method's sequence at T edits, if the sequence got there. */
function pointAt(results: BenchResults, method: string, edits: number): SequentialPoint | undefined {
  return results.sequential?.runs.find((r) => r.method === method)?.points.find((p) => p.edits === edits);
}

/** What the state column says: non-finite weights or scores, then the method's own counters. */
function stateText(point: SequentialPoint): string {
  const health =
    point.nonFinite.weights + point.nonFinite.scores === 0
      ? 'finite'
      : `NON-FINITE: ${point.nonFinite.weights} weight tensors, ${point.nonFinite.scores} scores`;
  const own = Object.entries(point.state ?? {})
    .filter(([key]) => !/loss/i.test(key))
    .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toPrecision(3)}`);
  return [health, ...own].join('; ');
}

/**
 * Table E at one T (WISE Table 2's layout): Rel. / Gen. / Loc. / Port. of all T edits on the model that holds
 * them, the mean seconds per edit over the T edits, and the model's state; beside: WISE Table 2.
 */
export function tableE(results: BenchResults, edits: number): Table {
  const sequential = results.sequential!;
  const rows = methodRows(results, true);
  const seed = results.options.seed;
  const published = (edits in WISE_TABLE_2.values['LLaMA-2-7B'] ? edits : undefined) as
    | keyof (typeof WISE_TABLE_2.values)['LLaMA-2-7B']
    | undefined;
  const columns: Column[] = SEQUENTIAL_COLUMNS.map(({ key, label }) => {
    const ours = new Map<string, Cell>();
    for (const row of rows.rows) {
      const values =
        row.id === UNEDITED_ROW
          ? sequential.pre[key]?.slice(0, edits)
          : pointAt(results, row.id, edits)?.values[key];
      const cell = sequenceCell(values, seed);
      if (cell !== undefined) ours.set(row.id, cell);
    }
    const beside =
      published === undefined || key === 'portability'
        ? []
        : WISE_TABLE_2.models.map((model) =>
            publishedBeside(
              model,
              WISE_TABLE_2.source.citation,
              0,
              WISE_TABLE_2.values[model][published][key],
              rows,
              (n) => n.wise,
              ours,
            ),
          );
    return { key, label, digits: 1, ours, published: beside };
  });
  const seconds = new Map<string, Cell>();
  const state = new Map<string, Cell>();
  for (const row of rows.rows) {
    const point = pointAt(results, row.id, edits);
    if (point === undefined) continue;
    seconds.set(row.id, { mean: point.editMs.cumulative / 1000, n: edits });
    state.set(row.id, { mean: Number.NaN, text: stateText(point) });
  }
  columns.push(
    { key: 'seconds', label: 's/edit', digits: 3, ours: seconds, published: [] },
    { key: 'state', label: 'model state', digits: 0, ours: state, published: [] },
  );
  const { eval: fromEval, train: fromTrain } = sequential.sources;
  const records =
    fromTrain === 0
      ? `the first ${edits} records of the ZsRE evaluation split`
      : `the ZsRE evaluation split's ${fromEval} records then the first ${Math.max(0, edits - fromEval)} of its training split (methods trained on that split, SERAC, MEND, KE and IKE's demonstrations, have seen those)`;
  return {
    id: `E-${edits}`,
    title: `Table E (T = ${edits}): sequential editing, ZsRE`,
    caption:
      `${edits} edits applied one after another to one model (${records}), then all ${edits} evaluated on ` +
      'that model, as WISE and EasyEdit do: Rel. / Gen. / Port.: teacher-forced token accuracy of the new ' +
      'target after the edit prompt / its rephrase / the portability questions; Loc.: share of the ' +
      "locality answer tokens whose argmax is the unedited model's. Percent, 95% bootstrap intervals over the " +
      `${edits} records. s/edit: the mean edit call over the ${edits} edits (evaluation excluded). Model ` +
      'state: whether every weight tensor and the last 16 edit scores are finite, and what the method reports ' +
      "after its last edit (T-Patcher's neurons, GRACE's codebook entries). " +
      (published === undefined
        ? 'WISE Table 2 has no column at this T.'
        : 'Beside: WISE Table 2 (LLaMA-2-7B, Mistral-7B; NQ locality), in percent.'),
    rows: rows.rows,
    columns,
  };
}

/**
 * Table D (MMEdit's layout): each multimodal method on one data set, the five metrics in percent with 95%
 * bootstrap intervals, s/edit; beside: MMEdit's published M-Generality (MiniGPT-4, BLIP-2 OPT).
 */
export function tableD(results: BenchResults, dataset: MultimodalDataset): Table {
  const multimodal = results.multimodal!;
  const seed = results.options.seed;
  const runs = multimodal.runs.filter((r) => r.dataset === dataset);
  const rows: MethodRows = { rows: [{ id: UNEDITED_ROW, label: '(unedited)' }], names: new Map() };
  for (const run of runs) {
    rows.rows.push({ id: run.method, label: run.method });
    const published = multimodal.methods.find((m) => m.id === run.method)?.published;
    rows.names.set(run.method, published === undefined ? {} : { mmedit: published });
  }
  const columns: Column[] = MULTIMODAL_METRICS.map((key) => {
    const ours = new Map<string, Cell>();
    const pre = multimodal.pre[dataset]?.[key];
    const uneditedCell = key === 'tLocality' || key === 'mLocality' ? undefined : sequenceCell(pre, seed);
    if (uneditedCell !== undefined) ours.set(UNEDITED_ROW, uneditedCell);
    for (const run of runs) {
      const values = run.records.filter((r) => r.error === undefined).map((r) => r.scores[key] ?? Number.NaN);
      const cell = sequenceCell(values, seed);
      if (cell !== undefined) ours.set(run.method, cell);
    }
    const beside =
      key === 'mGenerality'
        ? MMEDIT_M_GENERALITY.models.map((model) =>
            publishedBeside(
              model,
              MMEDIT_M_GENERALITY.source.citation,
              2,
              MMEDIT_M_GENERALITY.values[dataset][model],
              rows,
              (n) => n.mmedit,
              ours,
            ),
          )
        : [];
    return { key, label: MULTIMODAL_METRIC_LABELS[key], digits: 1, ours, published: beside };
  });
  const seconds = new Map<string, Cell>();
  const status = new Map<string, Cell>();
  for (const run of runs) {
    const times = run.records.map((r) => r.editMs / 1000);
    if (times.length > 0)
      seconds.set(run.method, { mean: times.reduce((a, b) => a + b, 0) / times.length, n: times.length });
    const failed = run.records.filter((r) => r.error !== undefined).length;
    status.set(run.method, {
      mean: Number.NaN,
      text:
        run.status === 'done'
          ? failed === 0
            ? 'done'
            : `${failed} edits failed`
          : `${run.status}: ${run.reason ?? ''}`,
    });
  }
  columns.push(
    { key: 'seconds', label: 's/edit', digits: 3, ours: seconds, published: [] },
    { key: 'status', label: 'status', digits: 0, ours: status, published: [] },
  );
  const name = dataset === 'e-vqa' ? 'E-VQA' : 'E-IC';
  return {
    id: `D-${dataset}`,
    title: `Table D (${name}): multimodal editing of ${multimodal.vlm.name}`,
    caption:
      `${multimodal.n} ${name} records (scenes the unedited VLM gets wrong; target: the correct ` +
      `${dataset === 'e-vqa' ? 'answer' : 'caption'}), each edited alone from the original weights and reverted. ` +
      "MMEdit's five metrics as EasyEdit computes them: Rel. / T-Gen. / M-Gen.: teacher-forced token accuracy " +
      'of the target after the image and the prompt / a rephrased prompt / a re-rendered image; T-Loc.: share of ' +
      'text-only NQ answer tokens whose argmax is unchanged; M-Loc.: share of top-10 token ids, position by ' +
      "position, unchanged on another scene's question. Percent, 95% bootstrap intervals over the records. " +
      "Beside: MMEdit's M-Generality (MiniGPT-4, BLIP-2 OPT; the only published block found): compare rankings.",
    rows: rows.rows,
    columns,
  };
}

/**
 * Table E's summary: for each method, the first T at which its Locality fell below 50% (the collapse point
 * of sequential ROME / MEMIT), its metrics at the last T, and whether its sequence finished.
 */
export function tableESummary(results: BenchResults): Table {
  const sequential = results.sequential!;
  const rows = methodRows(results, false);
  const seed = results.options.seed;
  const collapse = new Map<string, Cell>();
  const status = new Map<string, Cell>();
  const wall = new Map<string, Cell>();
  for (const run of sequential.runs) {
    const broken = run.points.find((p) => {
      const locality = sequenceCell(p.values.locality, seed);
      return locality !== undefined && locality.mean < 50;
    });
    const last = run.points.at(-1)?.edits ?? 0;
    collapse.set(run.method, {
      mean: broken?.edits ?? Number.NaN,
      text:
        run.points.length === 0 ? '' : broken === undefined ? `not by T = ${last}` : `T = ${broken.edits}`,
    });
    status.set(run.method, {
      mean: Number.NaN,
      text: run.status === 'done' ? 'done' : `${run.status}: ${run.reason ?? ''}`,
    });
    wall.set(run.method, { mean: run.wallMs / 1000 });
  }
  return {
    id: 'E-summary',
    title: 'Table E: sequential editing, the collapse point',
    caption:
      `Each method's sequence of up to ${sequential.max} ZsRE edits: the first T (of ` +
      `${sequential.checkpoints.join(', ')}) at which the mean Locality of all edits so far fell below 50%, ` +
      'whether the sequence finished, and its wall-clock seconds (one-time cost, edits and evaluations).',
    rows: rows.rows.filter((r) => sequential.runs.some((run) => run.method === r.id)),
    columns: [
      { key: 'collapse', label: 'Locality < 50% at', digits: 0, ours: collapse, published: [] },
      { key: 'status', label: 'sequence', digits: 0, ours: status, published: [] },
      { key: 'wall', label: 'wall s', digits: 1, ours: wall, published: [] },
    ],
  };
}

const MIB = 1024 * 1024;

/** Table C: cost per edit, peak tensor memory and one-time costs. */
export function tableC(results: BenchResults): Table {
  const rows = methodRows(results, false);
  const seed = results.options.seed;
  const perDataset = (dataset: BenchDataset): Column => {
    const ours = new Map<string, Cell>();
    for (const row of rows.rows) {
      const ms = results.records
        .filter((r) => r.method === row.id && r.dataset === dataset && Number.isFinite(r.editMs))
        .map((r) => r.editMs / 1000);
      if (ms.length === 0) continue;
      const interval = bootstrapMean(ms, { seed });
      ours.set(row.id, {
        mean: ms.reduce((s, v) => s + v, 0) / ms.length,
        low: interval.low,
        high: interval.high,
        n: ms.length,
      });
    }
    const published =
      dataset === 'counterfact'
        ? [
            publishedBeside(
              YAO_EDIT_TIME.source.label,
              YAO_EDIT_TIME.source.citation,
              3,
              YAO_EDIT_TIME.values,
              rows,
              (n) => n.time,
              ours,
            ),
          ]
        : [];
    return {
      key: `seconds-${dataset}`,
      label: `s/edit ${datasetLabel(dataset)}`,
      digits: 3,
      ours,
      published,
    };
  };
  const peak = (field: 'peakBytes' | 'peakExtraBytes'): Map<string, Cell> => {
    const ours = new Map<string, Cell>();
    for (const row of rows.rows) {
      const bytes = results.records
        .filter((r) => r.method === row.id && Number.isFinite(r[field]))
        .map((r) => r[field]);
      if (bytes.length > 0) ours.set(row.id, { mean: Math.max(...bytes) / MIB, n: bytes.length });
    }
    return ours;
  };
  const peakTotal = peak('peakBytes');
  const oneTime = new Map<string, Cell>();
  const failures = new Map<string, Cell>();
  for (const row of rows.rows) {
    const runs = results.runs.filter((r) => r.method === row.id);
    const prepared = runs.filter((r) => r.prepare !== undefined);
    const seconds = prepared.reduce((s, r) => s + r.prepare!.wallMs / 1000, 0);
    oneTime.set(row.id, {
      mean: seconds,
      text:
        prepared.length === 0
          ? 'none'
          : prepared
              .map(
                (r) =>
                  `${(r.prepare!.wallMs / 1000).toFixed(1)} s ${r.prepare!.label} (${r.dataset}` +
                  `${r.prepare!.cached ? ', cached' : ''})`,
              )
              .join('; '),
    });
    const failed = runs.reduce((s, r) => s + r.failed, 0);
    const notes = runs
      .filter((r) => r.status !== 'done')
      .map((r) => `${r.dataset}: ${r.status} (${r.reason})`);
    failures.set(row.id, { mean: failed, text: [String(failed), ...notes].join('; ') });
  }
  const columns: Column[] = [
    ...results.options.datasets.map(perDataset),
    {
      key: 'peak',
      label: 'peak tensor MiB',
      digits: 1,
      ours: peakTotal,
      published: [
        publishedBeside(
          EASYEDIT_GPU_MEMORY.source.label,
          EASYEDIT_GPU_MEMORY.source.citation,
          0,
          EASYEDIT_GPU_MEMORY.values,
          rows,
          (n) => n.memory,
          peakTotal,
        ),
      ],
    },
    { key: 'peak-extra', label: 'edit extra MiB', digits: 1, ours: peak('peakExtraBytes'), published: [] },
    { key: 'one-time', label: 'one-time cost', digits: 1, ours: oneTime, published: [] },
    { key: 'failed', label: 'failed edits', digits: 0, ours: failures, published: [] },
  ];
  return {
    id: 'C',
    title: 'Table C: efficiency',
    caption:
      `Seconds of the method's edit call per edited record (${results.options.mode} mode; evaluation ` +
      'excluded), with a 95% bootstrap interval. Peak tensor MiB: the highest tfjs tensor bytes during an ' +
      'edit (model weights included); edit extra: what the edit added over the bytes alive when it ' +
      'started. One-time cost: training or layer statistics before the first edit. Beside: Yao et al. ' +
      "(10 CounterFact edits on GPT-J, / 10) and EasyEdit's GPU memory on GPT-2 XL (GB); their ranks are " +
      'compared with ours, the scales are not.',
    rows: rows.rows,
    columns,
  };
}

/**
 * What the numbers come from, for the captions: the committed default model, the micro test model, or a
 * user's checkpoint folder (its path, shape and which presets its config matched).
 */
export function modelCaption(results: BenchResults): string {
  const m = results.model;
  if (m.name === 'default') {
    return (
      "Our numbers come from a small model trained on the benchmark's own facts, not from GPT-J or T5-XL: " +
      'compare rankings, not magnitudes.'
    );
  }
  if (m.name === 'micro') {
    return (
      "Our numbers come from the micro test model (llmedit's 2-layer model for unit tests), not from GPT-J " +
      'or T5-XL: they check the pipeline, not the methods; compare nothing.'
    );
  }
  const presets =
    m.preset === undefined
      ? ''
      : m.preset === null
        ? '; its config matches no checkpoint with presets, so hyperparameters came from --hparams or --layers auto'
        : `; its config has the shape of ${m.preset}, whose presets (EasyEdit's values) were used`;
  return (
    `Our numbers come from the checkpoint in \`${m.name}\` (${m.architecture}, ${m.numLayers} layers, ` +
    `hidden ${m.hiddenSize}, ${(m.parameters / 1e6).toFixed(2)} M parameters${presets}). The published ` +
    'numbers beside come from GPT-J, GPT-2 XL and T5-XL: compare rankings, not magnitudes.'
  );
}

/** Every table of a run, in report order. */
export function buildTables(results: BenchResults): Table[] {
  const agg = aggregateResults(results);
  // ZsRE under ROME's protocol has its own table (B3), not a Table A.
  const tables = results.options.datasets
    .filter((d) => d !== 'zsre-rome')
    .map((d) => tableA(results, agg, d));
  if (results.options.datasets.includes('counterfact'))
    tables.push(tableB(results, agg, 1), tableB(results, agg, 2));
  if (results.options.datasets.includes('zsre-rome')) tables.push(tableB3(results, agg));
  if (results.records.length > 0) tables.push(tableC(results));
  if (results.multimodal !== undefined) {
    for (const dataset of MULTIMODAL_DATASETS) {
      if (results.multimodal.runs.some((r) => r.dataset === dataset)) tables.push(tableD(results, dataset));
    }
  }
  if (results.sequential !== undefined) {
    tables.push(tableESummary(results));
    for (const edits of results.sequential.checkpoints) tables.push(tableE(results, edits));
  }
  return tables;
}

// ---- rendering ----------------------------------------------------------------------------------------

export function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const fixed = value.toFixed(digits);
  // "-0.0" reads as a sign error.
  return /^-0\.?0*$/.test(fixed) ? fixed.slice(1) : fixed;
}

export function formatCell(cell: Cell | undefined, digits: number): string {
  if (cell === undefined) return '';
  if (cell.text !== undefined) return cell.text;
  const mean = formatNumber(cell.mean, digits);
  if (cell.low === undefined || cell.high === undefined) return mean;
  return `${mean} [${formatNumber(cell.low, digits)}, ${formatNumber(cell.high, digits)}]`;
}

export function formatPublished(value: number | null | undefined, digits: number): string {
  if (value === undefined) return '';
  if (value === null) return '—';
  return formatNumber(value, digits);
}

export function formatAgreement(a: RankAgreement): string {
  if (a.keys.length < 2) return `n=${a.keys.length}`;
  return `ρ ${formatNumber(a.rho, 2)} · τb ${formatNumber(a.tauB, 2)} (n=${a.keys.length})`;
}

function escapeMarkdown(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** A GitHub-flavoured Markdown table with our columns, the published ones beside, and a rank-agreement row. */
export function renderMarkdownTable(table: Table): string {
  const header = ['Method'];
  for (const c of table.columns) {
    header.push(c.label);
    for (const p of c.published) header.push(`${c.label}: ${p.label}`);
  }
  const lines = [
    `| ${header.map(escapeMarkdown).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
  ];
  for (const row of table.rows) {
    const cells = [row.label];
    for (const c of table.columns) {
      cells.push(formatCell(c.ours.get(row.id), c.digits));
      for (const p of c.published) cells.push(formatPublished(p.values.get(row.id), p.digits));
    }
    lines.push(`| ${cells.map(escapeMarkdown).join(' | ')} |`);
  }
  if (table.columns.some((c) => c.published.length > 0)) {
    const cells = ['rank agreement'];
    for (const c of table.columns) {
      cells.push('');
      for (const p of c.published) cells.push(formatAgreement(p.agreement));
    }
    lines.push(`| ${cells.map(escapeMarkdown).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Every published comparison of the tables, one row each. */
export function agreementRows(tables: readonly Table[]) {
  return tables.flatMap((t) =>
    t.columns.flatMap((c) =>
      c.published.map((p) => ({
        table: t.title,
        column: c.label,
        reference: p.label,
        agreement: p.agreement,
      })),
    ),
  );
}

export function renderAgreementSummary(tables: readonly Table[]): string {
  const lines = [
    '| Table | Column | Published | Methods compared | Spearman ρ | Kendall τ-b |',
    '|---|---|---|---|---:|---:|',
  ];
  const rows = agreementRows(tables);
  const comparable = rows.filter((r) => r.agreement.keys.length >= 2);
  for (const r of comparable) {
    lines.push(
      `| ${escapeMarkdown(r.table)} | ${r.column} | ${escapeMarkdown(r.reference)} | ` +
        `${r.agreement.keys.join(', ') || '(none)'} | ${formatNumber(r.agreement.rho, 2)} | ` +
        `${formatNumber(r.agreement.tauB, 2)} |`,
    );
  }
  if (comparable.length === 0) lines.push('| (none) | | | fewer than 2 methods in common | | |');
  const left = rows.length - comparable.length;
  if (left > 0)
    lines.push(
      '',
      `${left} published column(s) share fewer than two methods with this run and are left out.`,
    );
  return lines.join('\n');
}

/** The whole table.md. */
export function renderMarkdown(
  results: BenchResults,
  tables: readonly Table[] = buildTables(results),
): string {
  const o = results.options;
  const env = results.environment;
  const out: string[] = [
    '# llmedit benchmark',
    '',
    results.complete ? '' : '> **Partial results**: the run was interrupted before it finished.\n',
    `Model \`${results.model.name}\` (${results.model.architecture}, ${results.model.numLayers} layers, ` +
      `hidden ${results.model.hiddenSize}, ${(results.model.parameters / 1e6).toFixed(2)} M parameters, ` +
      `hash \`${results.model.hash}\`); ${o.n} records per data set per method (the first ${o.n} of each ` +
      `${o.split === 'train' ? 'training split: a tuning run' : 'evaluation split'}), ${o.mode} mode, seed ${o.seed}${o.smoke ? ', smoke run' : ''}. Backend ` +
      `${describeBackend(env.backend)}, ` +
      `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), commit ` +
      `${
        env.shardCommits !== undefined
          ? `per shard ${env.shardCommits.map((c) => `\`${c.slice(0, 12)}\``).join(', ')}`
          : env.gitCommit === null
            ? 'unknown'
            : `\`${env.gitCommit.slice(0, 12)}\``
      }` +
      `${env.gitDirty === true ? ' with uncommitted changes (results.json has every hyperparameter)' : ''}` +
      `${(results.resumed ?? []).map((r) => `, resumed at \`${(r.gitCommit ?? 'unknown').slice(0, 12)}\``).join('')}; ` +
      `${(results.wallMs / 60000).toFixed(1)} min ${
        o.jobs !== undefined
          ? `wall-clock (${o.jobs} jobs side by side)`
          : results.mergedShards !== undefined
            ? `summed over ${results.mergedShards} merged shards`
            : 'wall-clock'
      }. Regenerate with \`pnpm bench\`.`,
    '',
    `${modelCaption(results)} Rank agreement is Spearman ρ and Kendall τ-b (tie-corrected) ` +
      'between our column and the published one, over the methods present in both (the unedited row and ' +
      "methods a paper reports as failing, '—', are left out).",
    '',
  ];
  for (const t of tables) {
    out.push(`## ${t.title}`, '', t.caption, '', renderMarkdownTable(t), '');
  }
  out.push('## Rank agreement', '', renderAgreementSummary(tables), '');
  out.push('## Sources', '');
  const citations = new Set(
    tables.flatMap((t) => t.columns.flatMap((c) => c.published.map((p) => p.citation))),
  );
  for (const c of citations) out.push(`- ${c}`);
  out.push('');
  return out.filter((line, i) => !(line === '' && out[i - 1] === '')).join('\n');
}
