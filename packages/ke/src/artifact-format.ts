// KE's trained artifact without a file system (browser-safe): its config, errors, the in-memory artifact, and
// fetching a served artifact folder. Reading and writing folders is in artifact.ts (the Node entry).
import { LlmeditError } from '@llmedit/core';
import {
  type ArtifactRef,
  artifactKind,
  type EditorArtifact,
  type LoadArtifactFromOptions,
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

/** Ke's artifacts (browser-safe; the Node entry's `keArtifacts` adds folders): their folder holds `ke.json` and `editor.safetensors`. */
export const keArtifactKind = artifactKind<KeArtifactConfig, KeEditor>({
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
export const keArtifact = keArtifactKind.create;

/** Whether `value` is a `KeArtifactRef` (the JSON form). */
export const isKeArtifactRef = keArtifactKind.isRef;

/** Whether `value` is a loaded `KeArtifact`. */
export const isKeArtifact = keArtifactKind.isArtifact;

/**
 * Fetch an artifact folder served at `base` (a URL, or a path relative to the page: `ke.json` and
 * `editor.safetensors`) for `model`: the browser counterpart of Node's `loadKeArtifact(dir, model)`. Refuses,
 * with `KeModelMismatchError`, an artifact trained for another model. The caller owns it: pass it as
 * `context.artifact` (edits never free it) and `dispose()` it when done.
 *
 * @example
 * const artifact = await loadKeArtifactFrom('/ke/default/', model);
 * const result = await edit({ method: ke, model, requests, hparams: kePreset('default'), context: { artifact } });
 */
export function loadKeArtifactFrom(
  base: string | URL,
  model: CausalLM,
  options: LoadArtifactFromOptions = {},
): Promise<KeArtifact> {
  return keArtifactKind.loadFrom(base, model, options);
}
