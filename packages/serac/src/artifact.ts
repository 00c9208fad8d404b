// A trained SERAC's folder on disk (Node): save, read its config, load. The formats and the in-memory artifact
// are in artifact-format.ts (browser-safe), re-exported here so that Node code imports one module.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, readSafetensors, saveModel, writeSafetensors } from '@llmedit/models';
import {
  checkSeracArtifactConfig,
  SERAC_ARTIFACT_FILES,
  SERAC_ARTIFACT_FORMAT,
  type SeracArtifact,
  type SeracArtifactConfig,
  SeracArtifactError,
  type SeracArtifactRef,
  seracArtifact,
  seracClassifierFromTensors,
} from './artifact-format.js';

export * from './artifact-format.js';

const CLASSIFIER_FILE = SERAC_ARTIFACT_FILES.classifier;
const CONFIG_FILE = SERAC_ARTIFACT_FILES.config;
const COUNTERFACTUAL_DIR = SERAC_ARTIFACT_FILES.counterfactual;

/** Write `serac.json`, `classifier.safetensors` and `counterfactual/` (a Hugging Face model folder). */
export async function saveSeracArtifact(artifact: SeracArtifact, dir: string): Promise<SeracArtifactRef> {
  mkdirSync(dir, { recursive: true });
  const c = artifact.classifier;
  writeSafetensors(
    join(dir, CLASSIFIER_FILE),
    new Map([
      ['projection', { shape: [c.width, c.dim], data: c.projection }],
      ['importance', { shape: [c.width], data: c.importance }],
      ['scalars', { shape: [3], data: Float32Array.from([c.importanceBias, c.scale, c.offset]) }],
    ]),
  );
  await saveModel(artifact.counterfactual, join(dir, COUNTERFACTUAL_DIR));
  writeFileSync(join(dir, CONFIG_FILE), `${JSON.stringify(artifact.config, null, 2)}\n`);
  return { format: SERAC_ARTIFACT_FORMAT, dir };
}

/** Read and check a saved artifact's serac.json (format and version) without loading any weights. */
export function readSeracArtifactConfig(dir: string): SeracArtifactConfig {
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath))
    throw new SeracArtifactError(dir, `has no ${CONFIG_FILE} (train one with prepare)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new SeracArtifactError(dir, `${CONFIG_FILE} is not JSON: ${(error as Error).message}`);
  }
  return checkSeracArtifactConfig(json, dir);
}

/**
 * Load a saved artifact (Node; a page uses `loadSeracArtifactFrom(url)`). The caller owns it: `dispose()`
 * frees the counterfactual model.
 */
export function loadSeracArtifact(dir: string): SeracArtifact {
  const config = readSeracArtifactConfig(dir);
  const counterfactual = loadModel(join(dir, COUNTERFACTUAL_DIR));
  try {
    const classifier = seracClassifierFromTensors(
      dir,
      readSafetensors(join(dir, CLASSIFIER_FILE)),
      counterfactual.config.hiddenSize,
    );
    return seracArtifact(config, classifier, counterfactual);
  } catch (error) {
    counterfactual.dispose();
    throw error;
  }
}
