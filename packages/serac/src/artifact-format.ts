// A trained SERAC's saved form without a file system (browser-safe): its config, its classifier's tensors,
// and loading the whole artifact over fetch. Reading and writing folders is in artifact.ts (the Node entry).
import { LlmeditError } from '@llmedit/core';
import {
  type CausalLM,
  type DecodedTensor,
  type FetchLike,
  fetchOptional,
  fileUrl,
  loadModelFrom,
  parseSafetensors,
} from '@llmedit/models';
import type { CopyWeights } from './copy.js';
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

/** The files of an artifact folder, relative to it: the same in a package folder and on a server. */
export const SERAC_ARTIFACT_FILES = {
  config: 'serac.json',
  classifier: 'classifier.safetensors',
  /** A Hugging Face model folder: config.json, model.safetensors, tokenizer.json. */
  counterfactual: 'counterfactual',
} as const;

/**
 * Check a parsed serac.json (its format and version; `where` names the folder or URL in errors). Other fields
 * are trusted as written by `saveSeracArtifact`: the version pins their meaning.
 */
export function checkSeracArtifactConfig(json: unknown, where: string): SeracArtifactConfig {
  const file = SERAC_ARTIFACT_FILES.config;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SeracArtifactError(where, `${file} is not a JSON object`);
  }
  const config = json as SeracArtifactConfig;
  if (config.format !== SERAC_ARTIFACT_FORMAT) {
    throw new SeracArtifactError(
      where,
      `${file} has format ${JSON.stringify(config.format)}, expected '${SERAC_ARTIFACT_FORMAT}'`,
    );
  }
  if (config.version !== SERAC_ARTIFACT_VERSION) {
    throw new SeracArtifactError(
      where,
      `is version ${config.version}; this package reads version ${SERAC_ARTIFACT_VERSION} (train it again)`,
    );
  }
  if (typeof config.baseModelId !== 'string') {
    throw new SeracArtifactError(where, `${file} needs 'baseModelId' (a string)`);
  }
  return config;
}

function tensorOf(
  where: string,
  tensors: ReadonlyMap<string, DecodedTensor>,
  name: string,
  shape: readonly number[],
): Float32Array {
  const tensor = tensors.get(name);
  if (tensor === undefined || tensor.shape.join() !== shape.join()) {
    throw new SeracArtifactError(
      where,
      `${SERAC_ARTIFACT_FILES.classifier} needs '${name}' of shape [${shape.join(', ')}], found ${tensor === undefined ? 'none' : `[${tensor.shape.join(', ')}]`}`,
    );
  }
  return Float32Array.from(tensor.data);
}

/** The scope classifier from classifier.safetensors' tensors, checked against the counterfactual model's width. */
export function seracClassifierFromTensors(
  where: string,
  tensors: ReadonlyMap<string, DecodedTensor>,
  hiddenSize: number,
): ScopeClassifierWeights {
  const projection = tensors.get('projection');
  const [width, dim] = projection?.shape ?? [];
  if (width === undefined || dim === undefined || width !== 2 * hiddenSize) {
    throw new SeracArtifactError(
      where,
      `${SERAC_ARTIFACT_FILES.classifier} projection has shape [${projection?.shape.join(', ') ?? ''}], expected [${2 * hiddenSize}, dim]`,
    );
  }
  const scalars = tensorOf(where, tensors, 'scalars', [3]);
  return {
    width,
    dim,
    projection: tensorOf(where, tensors, 'projection', [width, dim]),
    importance: tensorOf(where, tensors, 'importance', [width]),
    importanceBias: scalars[0] as number,
    scale: scalars[1] as number,
    offset: scalars[2] as number,
  };
}

export interface LoadSeracArtifactFromOptions {
  /** The fetch to use; default the global `fetch`. */
  readonly fetch?: FetchLike;
}

function globalFetch(options: LoadSeracArtifactFromOptions, where: string): FetchLike {
  if (options.fetch !== undefined) return options.fetch;
  if (typeof fetch !== 'function') {
    throw new SeracArtifactError(where, 'this runtime has no global fetch: pass options.fetch');
  }
  return (url) => fetch(url);
}

/**
 * Load an artifact folder served at `base` (a URL, or a path relative to the page): `serac.json`,
 * `classifier.safetensors` and the counterfactual model in `counterfactual/`. The browser counterpart of
 * Node's `loadSeracArtifact(dir)`, building the same in-memory artifact. The caller owns it: pass it as
 * `context.artifact` (the method never frees a caller's artifact) and `dispose()` it when done.
 *
 * @example
 * const artifact = await loadSeracArtifactFrom('/serac/default/');
 * const result = await edit({ method: serac, model, requests, context: { artifact } });
 */
export async function loadSeracArtifactFrom(
  base: string | URL,
  options: LoadSeracArtifactFromOptions = {},
): Promise<SeracArtifact> {
  const where = String(base);
  const get = globalFetch(options, where);
  const configUrl = fileUrl(base, SERAC_ARTIFACT_FILES.config);
  const classifierUrl = fileUrl(base, SERAC_ARTIFACT_FILES.classifier);
  const [configBytes, classifierBytes] = await Promise.all([
    fetchOptional(get, configUrl),
    fetchOptional(get, classifierUrl),
  ]);
  // The same errors as Node's loadSeracArtifact for a folder without its files (network failures and other
  // HTTP statuses throw CheckpointError naming the URL).
  if (configBytes === undefined) {
    throw new SeracArtifactError(where, `has no ${SERAC_ARTIFACT_FILES.config} (HTTP 404 for ${configUrl})`);
  }
  if (classifierBytes === undefined) {
    throw new SeracArtifactError(
      where,
      `has no ${SERAC_ARTIFACT_FILES.classifier} (HTTP 404 for ${classifierUrl})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(configBytes));
  } catch (error) {
    throw new SeracArtifactError(
      where,
      `${SERAC_ARTIFACT_FILES.config} is not JSON: ${(error as Error).message}`,
    );
  }
  const config = checkSeracArtifactConfig(json, where);
  // Parsed before the 17 MB model is fetched: a damaged classifier fails fast and holds no tensors.
  const tensors = parseSafetensors(classifierBytes, classifierUrl);
  const counterfactual = await loadModelFrom(fileUrl(base, `${SERAC_ARTIFACT_FILES.counterfactual}/`), {
    fetch: get,
  });
  try {
    const classifier = seracClassifierFromTensors(where, tensors, counterfactual.config.hiddenSize);
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
