// IKE's default demonstration store: llmedit's training splits, read from the dataset files on disk (Node only;
// the package's Node entry wires it in as `createIkeMethod`'s default).
import { validateEditRequests } from '@llmedit/core';
import { loadSplit, type SplitDataset } from '@llmedit/datasets';
import type { Bm25Options } from './bm25.js';
import { DemoPool, demosOf } from './demos.js';

const defaultPools = new Map<string, DemoPool>();

/**
 * The store built from llmedit's fixed training splits (never the evaluation split), cached per list of
 * data sets and BM25 settings: the first edit pays for loading and indexing, later edits reuse it.
 */
export function trainingPool(datasets: readonly SplitDataset[], options: Bm25Options = {}): DemoPool {
  const names = [...new Set(datasets)].sort();
  const key = `${names.join(',')}|${options.k1 ?? ''}|${options.b ?? ''}`;
  let pool = defaultPools.get(key);
  if (pool === undefined) {
    const demos = names.flatMap((dataset) =>
      validateEditRequests(loadSplit(dataset, 'train'), `ike demo pool (${dataset} train)`).flatMap(
        (request, i) => demosOf(request, `${dataset}:${request.id ?? String(i)}`),
      ),
    );
    pool = new DemoPool(demos, options);
    defaultPools.set(key, pool);
  }
  return pool;
}
