import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmeditError } from '@llmedit/core';
import { type CausalLM, loadModel, readSafetensors, saveModel, writeSafetensors } from '@llmedit/models';
import type { CopyWeights } from './counterfactual.js';
import type { SeracHparams } from './hparams.js';
import type { ScopeClassifierWeights } from './scope-classifier.js';

export const SERAC_ARTIFACT_FORMAT = 'llmedit-serac';
/** Bumped when the files or their meaning change; `loadSeracArtifact` refuses other versions. */
export const SERAC_ARTIFACT_VERSION = 1;

/** What training measured on the held-out training records (written into serac.json). */
export interface SeracTrainingReport {
  readonly trainingRequests: number;
  readonly validationRequests: number;
  readonly seed: number;
  readonly classifier: {
    readonly pairs: number;
    readonly seconds: number;
    readonly finalLoss: number;
    /** On held-out pairs at the threshold: in-scope queries found, out-of-scope queries kept out. */
    readonly validationRecall: number;
    readonly validationSpecificity: number;
  };
  readonly counterfactual: {
    readonly steps: number;
    readonly examples: number;
    readonly seconds: number;
    readonly finalLoss: number;
    /**
     * Teacher-forced answer-token accuracy on the held-out edits' prompts and rephrases (their own targets):
     * before training, after, and after with the copy mechanism at the fitted weights.
     */
    readonly validationAccuracyBefore: number;
    readonly validationAccuracyAfter: number;
    /** The copy weights fitted on the held-out edits' prompts, rephrases and portability questions. */
    readonly copyWeights: CopyWeights;
    readonly validationAccuracyWithCopy: number;
  };
  readonly seconds: number;
}

/** serac.json: everything but the weights. */
export interface SeracArtifactConfig {
  readonly format: typeof SERAC_ARTIFACT_FORMAT;
  readonly version: number;
  /** `modelId` of the base model the classifier's features and the counterfactual model came from. */
  readonly baseModelId: string;
  readonly classifierLayer: number;
  /** λ of the counterfactual model's copy mechanism (`mixCopy`), fitted on held-out training edits. */
  readonly copyWeights: CopyWeights;
  /** The hyperparameters it was trained with. */
  readonly hparams: SeracHparams;
  readonly report: SeracTrainingReport;
}

/**
 * A trained SERAC: the scope classifier's weights and the counterfactual model (a fine-tuned copy of the
 * base model, so it shares the tokenizer and vocabulary). Owns the counterfactual model's tensors.
 */
export interface SeracArtifact {
  readonly config: SeracArtifactConfig;
  readonly classifier: ScopeClassifierWeights;
  readonly counterfactual: CausalLM;
  dispose(): void;
}

/** The JSON form `doPrepare` returns and `context.artifact` accepts: where a saved artifact lives. */
export interface SeracArtifactRef {
  readonly format: typeof SERAC_ARTIFACT_FORMAT;
  readonly dir: string;
}

/** A saved artifact is missing, of another format or version, or damaged. */
export class SeracArtifactError extends LlmeditError {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super('SERAC_ARTIFACT', `SERAC artifact ${dir}: ${message}`);
  }
}

const CLASSIFIER_FILE = 'classifier.safetensors';
const CONFIG_FILE = 'serac.json';
const COUNTERFACTUAL_DIR = 'counterfactual';

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

function tensorOf(
  dir: string,
  tensors: ReturnType<typeof readSafetensors>,
  name: string,
  shape: readonly number[],
): Float32Array {
  const tensor = tensors.get(name);
  if (tensor === undefined || tensor.shape.join() !== shape.join()) {
    throw new SeracArtifactError(
      dir,
      `${CLASSIFIER_FILE} needs '${name}' of shape [${shape.join(', ')}], found ${tensor === undefined ? 'none' : `[${tensor.shape.join(', ')}]`}`,
    );
  }
  return Float32Array.from(tensor.data);
}

/** Read and check a saved artifact's serac.json (format and version) without loading any weights. */
export function readSeracArtifactConfig(dir: string): SeracArtifactConfig {
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath))
    throw new SeracArtifactError(dir, `has no ${CONFIG_FILE} (train one with prepare)`);
  let config: SeracArtifactConfig;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as SeracArtifactConfig;
  } catch (error) {
    throw new SeracArtifactError(dir, `${CONFIG_FILE} is not JSON: ${(error as Error).message}`);
  }
  if (config.format !== SERAC_ARTIFACT_FORMAT) {
    throw new SeracArtifactError(
      dir,
      `${CONFIG_FILE} has format ${JSON.stringify(config.format)}, expected '${SERAC_ARTIFACT_FORMAT}'`,
    );
  }
  if (config.version !== SERAC_ARTIFACT_VERSION) {
    throw new SeracArtifactError(
      dir,
      `is version ${config.version}; this package reads version ${SERAC_ARTIFACT_VERSION} (train it again)`,
    );
  }
  return config;
}

/** Load a saved artifact (Node). The caller owns it: `dispose()` frees the counterfactual model. */
export function loadSeracArtifact(dir: string): SeracArtifact {
  const config = readSeracArtifactConfig(dir);
  const counterfactual = loadModel(join(dir, COUNTERFACTUAL_DIR));
  try {
    const tensors = readSafetensors(join(dir, CLASSIFIER_FILE));
    const projection = tensors.get('projection');
    const [width, dim] = projection?.shape ?? [];
    if (width === undefined || dim === undefined || width !== 2 * counterfactual.config.hiddenSize) {
      throw new SeracArtifactError(
        dir,
        `${CLASSIFIER_FILE} projection has shape [${projection?.shape.join(', ') ?? ''}], expected [${2 * counterfactual.config.hiddenSize}, dim]`,
      );
    }
    const scalars = tensorOf(dir, tensors, 'scalars', [3]);
    const classifier: ScopeClassifierWeights = {
      width,
      dim,
      projection: tensorOf(dir, tensors, 'projection', [width, dim]),
      importance: tensorOf(dir, tensors, 'importance', [width]),
      importanceBias: scalars[0] as number,
      scale: scalars[1] as number,
      offset: scalars[2] as number,
    };
    return seracArtifact(config, classifier, counterfactual);
  } catch (error) {
    counterfactual.dispose();
    throw error;
  }
}

/** Assemble an in-memory artifact (it takes ownership of `counterfactual`). */
export function seracArtifact(
  config: SeracArtifactConfig,
  classifier: ScopeClassifierWeights,
  counterfactual: CausalLM,
): SeracArtifact {
  let disposed = false;
  return {
    config,
    classifier,
    counterfactual,
    dispose() {
      if (disposed) return;
      disposed = true;
      counterfactual.dispose();
    },
  };
}

/** Whether `value` is a `SeracArtifactRef` (the JSON form). */
export function isSeracArtifactRef(value: unknown): value is SeracArtifactRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === SERAC_ARTIFACT_FORMAT &&
    typeof (value as { dir?: unknown }).dir === 'string'
  );
}

/** Whether `value` is a loaded `SeracArtifact`. */
export function isSeracArtifact(value: unknown): value is SeracArtifact {
  return (
    typeof value === 'object' &&
    value !== null &&
    'classifier' in value &&
    'counterfactual' in value &&
    'config' in value &&
    typeof (value as { dispose?: unknown }).dispose === 'function'
  );
}
