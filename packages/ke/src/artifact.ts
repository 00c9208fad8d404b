import { LlmeditError } from '@llmedit/core';
import {
  type ArtifactLayout,
  readArtifactConfig,
  readArtifactTensors,
  writeArtifactFiles,
} from '@llmedit/meta-train';
import type { CausalLM } from '@llmedit/models';
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

/** A trained KnowledgeEditor for one base model. Owns the hypernetwork's variables. */
export interface KeArtifact {
  readonly config: KeArtifactConfig;
  readonly editor: KeEditor;
  dispose(): void;
}

/** The JSON form `doPrepare` returns and `context.artifact` accepts: where a saved artifact lives. */
export interface KeArtifactRef {
  readonly format: typeof KE_ARTIFACT_FORMAT;
  readonly dir: string;
}

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

const LAYOUT: ArtifactLayout = {
  format: KE_ARTIFACT_FORMAT,
  version: KE_ARTIFACT_VERSION,
  configFile: 'ke.json',
  tensorsFile: 'editor.safetensors',
  trainCommand: 'pnpm --filter @llmedit/ke train --model <name>',
  fail: (dir, message) => new KeArtifactError(dir, message),
};

/** Assemble an in-memory artifact (it takes ownership of `editor`). */
export function keArtifact(config: KeArtifactConfig, editor: KeEditor): KeArtifact {
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

/** Write `ke.json` and `editor.safetensors`. */
export function saveKeArtifact(artifact: KeArtifact, dir: string): KeArtifactRef {
  writeArtifactFiles(LAYOUT, dir, artifact.config, artifact.editor.toHost());
  return { format: KE_ARTIFACT_FORMAT, dir };
}

/** Read and check a saved artifact's ke.json (format and version) without loading the hypernetwork. */
export function readKeArtifactConfig(dir: string): KeArtifactConfig {
  return readArtifactConfig<KeArtifactConfig>(LAYOUT, dir);
}

/**
 * Load a saved artifact for `model` (Node). Refuses, with `KeModelMismatchError`, an artifact trained for
 * another model. The caller owns it: `dispose()` frees the hypernetwork.
 */
export function loadKeArtifact(dir: string, model: CausalLM): KeArtifact {
  const config = readKeArtifactConfig(dir);
  if (config.baseModelId !== model.modelId) throw new KeModelMismatchError(config.baseModelId, model.modelId);
  const editor = KeEditor.fromHost(model, config.hparams, readArtifactTensors(LAYOUT, dir));
  if (typeof editor === 'string') throw new KeArtifactError(dir, `${LAYOUT.tensorsFile} needs ${editor}`);
  return keArtifact(config, editor);
}

/** Whether `value` is a `KeArtifactRef` (the JSON form). */
export function isKeArtifactRef(value: unknown): value is KeArtifactRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === KE_ARTIFACT_FORMAT &&
    typeof (value as { dir?: unknown }).dir === 'string'
  );
}

/** Whether `value` is a loaded `KeArtifact`. */
export function isKeArtifact(value: unknown): value is KeArtifact {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { editor?: unknown }).editor instanceof KeEditor &&
    typeof (value as { dispose?: unknown }).dispose === 'function'
  );
}
