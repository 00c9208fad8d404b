import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EditRequest } from '@llmedit/core';
import { type CounterFactRecord, counterFactToRequest, loadCounterFact } from './counterfact.js';
import { type CounterFactFlatRecord, loadCounterFactEasyEdit } from './counterfact-easyedit.js';
import { DatasetError } from './errors.js';
import { type KnowEditLoadResult, type KnowEditOptions, loadKnowEdit } from './knowedit.js';
import { type KnownFact, loadKnownFacts } from './known-facts.js';
import { loadMMEdit, type MMEditRecord } from './mmedit.js';
import { loadMquake, type MquakeLoadResult } from './mquake.js';
import { SPLIT_DATASETS, type SplitDataset, type SplitName, selectByIds } from './splits.js';
import type { LoadOptions, LoadResult, SkippedRecord } from './validate.js';
import { loadZsre, type ZsreRecord, zsreToRequest } from './zsre.js';

/** The files shipped in `data/`, by short name (paths relative to the data folder). */
export const DATA_FILES = {
  counterfact: 'counterfact/counterfact_portability_gpt4.json',
  counterfactEasyEdit: 'counterfact/counterfact-val.easyedit.json',
  counterfactSubjectReplace: 'easyedit_portability/counterfact_subject_replace.json',
  counterfactDistractingNeighbor: 'easyedit_portability/counterfact_distracting_neighbor.first200.json',
  zsre: 'zsre/zsre_mend_eval_portability_gpt4.json',
  zsreSubjectReplace: 'easyedit_portability/zsre_subject_replace.json',
  zsreInverseRelation: 'easyedit_portability/zsre_inverse_relation.json',
  mquakeHard: 'mquake/MQuAKE-hard.json',
  mmeditVqa: 'mmedit/vqa_eval.json',
  mmeditCaption: 'mmedit/caption_eval_edit.json',
  known1000: 'rome_known_1000/known_1000.json',
} as const;

export type DataFileName = keyof typeof DATA_FILES;

/** The package's `data/` folder. Source (src/) and build (dist/) both sit one level below the package root. */
export function dataDir(): string {
  return fileURLToPath(new URL('../data/', import.meta.url));
}

/**
 * Absolute path of a shipped file: a short name from DATA_FILES (e.g. 'zsre') or a path relative to the
 * data folder (e.g. 'splits/zsre.eval.json'). Paths that leave the data folder are refused.
 */
export function datasetPath(name: DataFileName | (string & {})): string {
  const rel = (DATA_FILES as Record<string, string>)[name] ?? name;
  const root = dataDir();
  const full = resolve(root, rel);
  const inside = relative(root, full);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new DatasetError(name, 'is not a path inside the datasets package data folder');
  }
  return full;
}

/** Reads and parses a JSON file, turning I/O and syntax failures into DatasetError. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DatasetError(path, 'cannot be read', { cause });
  }
  // Editors on Windows save UTF-8 with a byte order mark; JSON.parse would reject it as an invisible token.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new DatasetError(path, `is not valid JSON (${(cause as Error).message})`, { cause });
  }
}

function withFile<O extends LoadOptions>(path: string, options: O | undefined): O {
  return { ...options, file: options?.file ?? basename(path) } as O;
}

export function loadCounterFactFile(path: string, options?: LoadOptions): LoadResult<CounterFactRecord> {
  return loadCounterFact(readJsonFile(path), withFile(path, options));
}

export function loadCounterFactEasyEditFile(
  path: string,
  options?: LoadOptions,
): LoadResult<CounterFactFlatRecord> {
  return loadCounterFactEasyEdit(readJsonFile(path), withFile(path, options));
}

export function loadZsreFile(path: string, options?: LoadOptions): LoadResult<ZsreRecord> {
  return loadZsre(readJsonFile(path), withFile(path, options));
}

export function loadKnowEditFile(path: string, options?: KnowEditOptions): KnowEditLoadResult {
  return loadKnowEdit(readJsonFile(path), withFile(path, options));
}

export function loadMquakeFile(path: string, options?: LoadOptions): MquakeLoadResult {
  return loadMquake(readJsonFile(path), withFile(path, options));
}

export function loadMMEditFile(path: string, options?: LoadOptions): LoadResult<MMEditRecord> {
  return loadMMEdit(readJsonFile(path), withFile(path, options));
}

export function loadKnownFactsFile(
  path: string,
  options?: LoadOptions,
): { records: KnownFact[]; skipped: SkippedRecord[] } {
  return loadKnownFacts(readJsonFile(path), withFile(path, options));
}

/** The source file each split is drawn from. */
export const SPLIT_SOURCES: Readonly<Record<SplitDataset, DataFileName>> = {
  counterfact: 'counterfact',
  zsre: 'zsre',
};

/** The committed ids of a split (CounterFact case ids, zsRE file indices), in split order. */
export function readSplitIds(dataset: SplitDataset, split: SplitName): number[] {
  if (!SPLIT_DATASETS.includes(dataset)) throw new DatasetError(String(dataset), 'has no fixed split');
  const path = datasetPath(`splits/${dataset}.${split}.json`);
  const ids = readJsonFile(path);
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
    throw new DatasetError(path, 'must be a JSON array of non-negative integer ids');
  }
  return ids as number[];
}

/** A CounterFact split: rich records (for the ROME suite) and their EditRequests, in split order. */
export function loadCounterFactSplit(split: SplitName): LoadResult<CounterFactRecord> {
  const all = loadCounterFactFile(datasetPath(SPLIT_SOURCES.counterfact));
  const records = selectByIds(
    all.records,
    readSplitIds('counterfact', split),
    (r) => r.caseId,
    'counterfact split',
  );
  return { records, requests: records.map(counterFactToRequest), skipped: [] };
}

/** A zsRE split (ids are positions in zsre_mend_eval_portability_gpt4.json), in split order. */
export function loadZsreSplit(split: SplitName): LoadResult<ZsreRecord> {
  const all = loadZsreFile(datasetPath(SPLIT_SOURCES.zsre));
  const records = selectByIds(all.records, readSplitIds('zsre', split), (r) => r.index, 'zsre split');
  return { records, requests: records.map(zsreToRequest), skipped: [] };
}

/** The EditRequests of a fixed split: 'eval' is what the benchmark edits, 'train' the rest. */
export function loadSplit(dataset: SplitDataset, split: SplitName): EditRequest[] {
  if (dataset === 'counterfact') return loadCounterFactSplit(split).requests;
  if (dataset === 'zsre') return loadZsreSplit(split).requests;
  throw new DatasetError(String(dataset), 'has no fixed split');
}

/** The scene edit sets (MMEdit E-VQA / E-IC on procedural scenes), by task and split. */
export type SceneEditTask = 'evqa' | 'eic';
export type SceneEditSplit = 'eval' | 'train';

const SCENE_EDIT_TASKS: readonly SceneEditTask[] = ['evqa', 'eic'];
const SCENE_EDIT_SPLITS: readonly SceneEditSplit[] = ['eval', 'train'];

export interface SceneEditLoadOptions extends LoadOptions {
  /** Folder holding the files (default `data/scenes` of this package). */
  dir?: string;
}

/** Path of a scene edit set: `data/scenes/{task}_{split}.json` (MMEdit's fields and array layout). */
export function sceneEditsPath(task: SceneEditTask, split: SceneEditSplit, dir?: string): string {
  if (!SCENE_EDIT_TASKS.includes(task))
    throw new DatasetError(String(task), `is not a scene edit task (${SCENE_EDIT_TASKS.join(', ')})`);
  if (!SCENE_EDIT_SPLITS.includes(split))
    throw new DatasetError(String(split), `is not a scene edit split (${SCENE_EDIT_SPLITS.join(', ')})`);
  const file = `${task}_${split}.json`;
  return dir === undefined ? datasetPath(`scenes/${file}`) : resolve(dir, file);
}

/**
 * A scene edit set read with the MMEdit parser. The files are generated from the default VLM's mistakes by
 * `pnpm --filter @llmedit/multimodal build-edit-sets` (data/scenes/MANIFEST.json names the VLM), so a missing
 * file says how to build it.
 */
export function loadSceneEdits(
  task: SceneEditTask,
  split: SceneEditSplit,
  options: SceneEditLoadOptions = {},
): LoadResult<MMEditRecord> {
  const path = sceneEditsPath(task, split, options.dir);
  if (!existsSync(path)) {
    throw new DatasetError(
      path,
      'is not built: run `pnpm --filter @llmedit/multimodal build-edit-sets` (needs the default VLM)',
    );
  }
  const { dir: _, ...load } = options;
  return loadMMEditFile(path, load);
}
