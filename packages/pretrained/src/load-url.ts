// The committed checkpoints served over HTTP (a browser page): the same files `loadPretrained` reads from this
// package's folder in Node.
import { type CausalLM, type LoadModelFromOptions, loadModelFrom } from '@llmedit/models';

/**
 * Load a committed checkpoint from the URL its folder is served at (`checkpoints/<name>` of this package,
 * copied or served as is): `config.json`, `model.safetensors`, `tokenizer.json`. Its `stats/` folder holds the
 * layer statistics ROME and MEMIT need for their preset layers (`loadLayerStatsFrom` of `@llmedit/locate`),
 * since a page has neither the corpus files nor a cache folder. In Node, `loadPretrained(name)` reads the
 * same files from the package folder.
 *
 * @example
 * const model = await loadPretrainedFrom('/checkpoints/default/');
 */
export function loadPretrainedFrom(
  base: string | URL,
  options: LoadModelFromOptions = {},
): Promise<CausalLM> {
  return loadModelFrom(base, options);
}

/** The files of a checkpoint folder a page serves (relative to the folder), statistics aside. */
export const CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
