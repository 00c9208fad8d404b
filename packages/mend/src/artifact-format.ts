// MEND's trained artifact without a file system (browser-safe): its config, errors, the in-memory artifact, and
// fetching a served artifact folder. Reading and writing folders is in artifact.ts (the Node entry).
import { LlmeditError } from '@llmedit/core';
import {
  type ArtifactRef,
  artifactKind,
  type EditorArtifact,
  type LoadArtifactFromOptions,
} from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
import { MendEditor } from './editor.js';
import type { MendHparams } from './hparams.js';

export const MEND_ARTIFACT_FORMAT = 'llmedit-mend';
/** Bumped when the files or their meaning change; `loadMendArtifact` refuses other versions. */
export const MEND_ARTIFACT_VERSION = 1;

/** What meta-training measured (written into mend.json). */
export interface MendTrainingReport {
  readonly trainingRequests: number;
  readonly validationRequests: number;
  readonly seed: number;
  readonly steps: number;
  /** The step whose editor was kept (best validation loss). */
  readonly bestStep: number;
  readonly seconds: number;
  /** On the validation edits, with the editor at step 0 (identity network) and with the kept editor. */
  readonly validationBefore: MendValidation;
  readonly validationAfter: MendValidation;
  readonly stepSizes: readonly number[];
}

/** Validation measures over held-out training-split edits (each edited alone, then reverted). */
export interface MendValidation {
  /** c_e·L_e + c_loc·L_loc averaged over the edits. */
  readonly loss: number;
  /** Mean target NLL of the edit prompt after the edit. */
  readonly editNll: number;
  /** Teacher-forced target-token accuracy on the edit prompt after the edit. */
  readonly editAccuracy: number;
  /** Mean KL(base ‖ edited) on the unrelated sequences. */
  readonly localityKl: number;
}

/** mend.json: everything but the editor's tensors. */
export interface MendArtifactConfig {
  readonly format: typeof MEND_ARTIFACT_FORMAT;
  readonly version: number;
  /** `modelId` of the base model the editor was trained on; it edits no other. */
  readonly baseModelId: string;
  /** The hyperparameters it was trained with (its `layers`, `rank`, `blocks` fix the tensors' shapes). */
  readonly hparams: MendHparams;
  readonly report: MendTrainingReport;
}

/** A trained Mend editor for one base model. Owns the editor's variables. */
export type MendArtifact = EditorArtifact<MendArtifactConfig, MendEditor>;

/** The JSON form `doPrepare` returns and `context.artifact` accepts: where a saved artifact lives. */
export type MendArtifactRef = ArtifactRef<typeof MEND_ARTIFACT_FORMAT>;

/** A saved artifact is missing, of another format or version, or damaged. */
export class MendArtifactError extends LlmeditError {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super('MEND_ARTIFACT', `MEND artifact ${dir}: ${message}`);
  }
}

/** An artifact was trained for another base model (its editor reads that model's gradients). */
export class MendModelMismatchError extends LlmeditError {
  constructor(
    readonly artifactModelId: string,
    readonly modelId: string,
  ) {
    super(
      'MEND_MODEL_MISMATCH',
      `MEND artifact was trained for model ${artifactModelId}, not ${modelId}: train one for this model (pnpm --filter @llmedit/mend train --model <name>)`,
    );
  }
}

/** Mend's artifacts (browser-safe; the Node entry's `mendArtifacts` adds folders): their folder holds `mend.json` and `editor.safetensors`. */
export const mendArtifactKind = artifactKind<MendArtifactConfig, MendEditor>({
  layout: {
    format: MEND_ARTIFACT_FORMAT,
    version: MEND_ARTIFACT_VERSION,
    configFile: 'mend.json',
    tensorsFile: 'editor.safetensors',
    trainCommand: 'pnpm --filter @llmedit/mend train --model <name>',
    fail: (dir, message) => new MendArtifactError(dir, message),
  },
  method: 'mend',
  trainer: 'trainMend',
  isEditor: (value): value is MendEditor => value instanceof MendEditor,
  fromHost: (model, config, tensors) => MendEditor.fromHost(model, config.hparams, tensors),
  mismatch: (artifactModelId, modelId) => new MendModelMismatchError(artifactModelId, modelId),
});

/** Assemble an in-memory artifact (it takes ownership of `editor`). */
export const mendArtifact = mendArtifactKind.create;

/** Whether `value` is a `MendArtifactRef` (the JSON form). */
export const isMendArtifactRef = mendArtifactKind.isRef;

/** Whether `value` is a loaded `MendArtifact`. */
export const isMendArtifact = mendArtifactKind.isArtifact;

/**
 * Fetch an artifact folder served at `base` (a URL, or a path relative to the page: `mend.json` and
 * `editor.safetensors`) for `model`: the browser counterpart of Node's `loadMendArtifact(dir, model)`. Refuses,
 * with `MendModelMismatchError`, an artifact trained for another model. The caller owns it: pass it as
 * `context.artifact` (edits never free it) and `dispose()` it when done.
 *
 * @example
 * const artifact = await loadMendArtifactFrom('/mend/default/', model);
 * const result = await edit({ method: mend, model, requests, hparams: mendPreset('default'), context: { artifact } });
 */
export function loadMendArtifactFrom(
  base: string | URL,
  model: CausalLM,
  options: LoadArtifactFromOptions = {},
): Promise<MendArtifact> {
  return mendArtifactKind.loadFrom(base, model, options);
}
