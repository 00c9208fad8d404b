import { LlmeditError } from '@llmedit/core';
import {
  type ArtifactLayout,
  readArtifactConfig,
  readArtifactTensors,
  writeArtifactFiles,
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

/** A trained MEND editor for one base model. Owns the editor's variables. */
export interface MendArtifact {
  readonly config: MendArtifactConfig;
  readonly editor: MendEditor;
  dispose(): void;
}

/** The JSON form `doPrepare` returns and `context.artifact` accepts: where a saved artifact lives. */
export interface MendArtifactRef {
  readonly format: typeof MEND_ARTIFACT_FORMAT;
  readonly dir: string;
}

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

const LAYOUT: ArtifactLayout = {
  format: MEND_ARTIFACT_FORMAT,
  version: MEND_ARTIFACT_VERSION,
  configFile: 'mend.json',
  tensorsFile: 'editor.safetensors',
  trainCommand: 'pnpm --filter @llmedit/mend train --model <name>',
  fail: (dir, message) => new MendArtifactError(dir, message),
};

/** Assemble an in-memory artifact (it takes ownership of `editor`). */
export function mendArtifact(config: MendArtifactConfig, editor: MendEditor): MendArtifact {
  let disposed = false;
  return {
    config,
    editor,
    dispose() {
      if (disposed) return;
      disposed = true;
      editor.dispose();
    },
  };
}

/** Write `mend.json` and `editor.safetensors`. */
export function saveMendArtifact(artifact: MendArtifact, dir: string): MendArtifactRef {
  writeArtifactFiles(LAYOUT, dir, artifact.config, artifact.editor.toHost());
  return { format: MEND_ARTIFACT_FORMAT, dir };
}

/** Read and check a saved artifact's mend.json (format and version) without loading the editor. */
export function readMendArtifactConfig(dir: string): MendArtifactConfig {
  return readArtifactConfig<MendArtifactConfig>(LAYOUT, dir);
}

/**
 * Load a saved artifact for `model` (Node). Refuses, with `MendModelMismatchError`, an artifact trained for
 * another model. The caller owns it: `dispose()` frees the editor.
 */
export function loadMendArtifact(dir: string, model: CausalLM): MendArtifact {
  const config = readMendArtifactConfig(dir);
  if (config.baseModelId !== model.modelId)
    throw new MendModelMismatchError(config.baseModelId, model.modelId);
  const editor = MendEditor.fromHost(model, config.hparams, readArtifactTensors(LAYOUT, dir));
  if (typeof editor === 'string') throw new MendArtifactError(dir, `${LAYOUT.tensorsFile} needs ${editor}`);
  return mendArtifact(config, editor);
}

/** Whether `value` is a `MendArtifactRef` (the JSON form). */
export function isMendArtifactRef(value: unknown): value is MendArtifactRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === MEND_ARTIFACT_FORMAT &&
    typeof (value as { dir?: unknown }).dir === 'string'
  );
}

/** Whether `value` is a loaded `MendArtifact`. */
export function isMendArtifact(value: unknown): value is MendArtifact {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { editor?: unknown }).editor instanceof MendEditor &&
    typeof (value as { dispose?: unknown }).dispose === 'function'
  );
}
