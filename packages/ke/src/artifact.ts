import { LlmeditError } from '@llmedit/core';
import { type ArtifactRef, artifactKind, type EditorArtifact } from '@llmedit/meta-train';
import { KeEditor } from './editor.js';
import type { KeHparams } from './hparams.js';

export const KE_ARTIFACT_FORMAT = 'llmedit-ke';
/** Bumped when the files or their meaning change; `loadKeArtifact` refuses other versions. */
export const KE_ARTIFACT_VERSION = 1;

/** Validation measures over held-out training-split edits (each edited alone, then reverted). */
export interface KeValidation {
  /** Mean target NLL after the edit, over the edit prompt and one rephrase. */
  readonly editNll: number;
  /** Teacher-forced target-token accuracy on the edit prompt after the edit. */
  readonly editAccuracy: number;
  /** The same on a rephrase of the edit prompt. */
  readonly rephraseAccuracy: number;
  /** Mean KL(base ‖ edited) on the unrelated sequences. */
  readonly localityKl: number;
  /** editNll + localityKl: what picks the kept hypernetwork. */
  readonly loss: number;
}

/** What training measured (written into ke.json). */
export interface KeTrainingReport {
  readonly trainingRequests: number;
  readonly validationRequests: number;
  readonly seed: number;
  readonly steps: number;
  /** The step whose hypernetwork was kept (best validation loss). */
  readonly bestStep: number;
  readonly seconds: number;
  readonly validationBefore: KeValidation;
  readonly validationAfter: KeValidation;
  /** The Lagrange multiplier and the KL margin when training stopped. */
  readonly multiplier: number;
  readonly margin: number;
}

/** ke.json: everything but the hypernetwork's tensors. */
export interface KeArtifactConfig {
  readonly format: typeof KE_ARTIFACT_FORMAT;
  readonly version: number;
  /** `modelId` of the base model the hypernetwork was trained on; it edits no other. */
  readonly baseModelId: string;
  readonly hparams: KeHparams;
  readonly report: KeTrainingReport;
}

/** A trained Ke editor for one base model. Owns the editor's variables. */
export type KeArtifact = EditorArtifact<KeArtifactConfig, KeEditor>;

/** The JSON form `doPrepare` returns and `context.artifact` accepts: where a saved artifact lives. */
export type KeArtifactRef = ArtifactRef<typeof KE_ARTIFACT_FORMAT>;

/** A saved artifact is missing, of another format or version, or damaged. */
export class KeArtifactError extends LlmeditError {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super('KE_ARTIFACT', `KE artifact ${dir}: ${message}`);
  }
}

/** An artifact was trained for another base model (its hypernetwork reads that model's gradients). */
export class KeModelMismatchError extends LlmeditError {
  constructor(
    readonly artifactModelId: string,
    readonly modelId: string,
  ) {
    super(
      'KE_MODEL_MISMATCH',
      `KE artifact was trained for model ${artifactModelId}, not ${modelId}: train one for this model (pnpm --filter @llmedit/ke train --model <name>)`,
    );
  }
}

/** Ke's artifact folder: `ke.json` and `editor.safetensors`. */
export const keArtifacts = artifactKind<KeArtifactConfig, KeEditor>({
  layout: {
    format: KE_ARTIFACT_FORMAT,
    version: KE_ARTIFACT_VERSION,
    configFile: 'ke.json',
    tensorsFile: 'editor.safetensors',
    trainCommand: 'pnpm --filter @llmedit/ke train --model <name>',
    fail: (dir, message) => new KeArtifactError(dir, message),
  },
  method: 'ke',
  trainer: 'trainKe',
  isEditor: (value): value is KeEditor => value instanceof KeEditor,
  fromHost: (model, config, tensors) => KeEditor.fromHost(model, config.hparams, tensors),
  mismatch: (artifactModelId, modelId) => new KeModelMismatchError(artifactModelId, modelId),
});

/** Assemble an in-memory artifact (it takes ownership of `editor`). */
export const keArtifact = keArtifacts.create;

/** Write `ke.json` and `editor.safetensors`. */
export const saveKeArtifact = keArtifacts.save;

/** Read and check a saved artifact's ke.json (format and version) without loading the editor. */
export const readKeArtifactConfig = keArtifacts.readConfig;

/**
 * Load a saved artifact for `model` (Node). Refuses, with `KeModelMismatchError`, an artifact trained for
 * another model. The caller owns it: `dispose()` frees the editor.
 */
export const loadKeArtifact = keArtifacts.load;

/** Whether `value` is a `KeArtifactRef` (the JSON form). */
export const isKeArtifactRef = keArtifacts.isRef;

/** Whether `value` is a loaded `KeArtifact`. */
export const isKeArtifact = keArtifacts.isArtifact;
