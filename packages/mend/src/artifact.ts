// MEND's artifact folders (Node): save, read the config, load. The formats and the in-memory artifact are in
// artifact-format.ts (browser-safe), re-exported here so that Node code imports one module.
import { artifactKindNode } from '@llmedit/meta-train/node';
import { mendArtifactKind } from './artifact-format.js';

export * from './artifact-format.js';

/** Mend's artifacts with folders: save, read, load, the committed ones, and `context.artifact` references. */
export const mendArtifacts = artifactKindNode(mendArtifactKind.spec);

/** Write `mend.json` and `editor.safetensors`. */
export const saveMendArtifact = mendArtifacts.save;

/** Read and check a saved artifact's mend.json (format and version) without loading the editor. */
export const readMendArtifactConfig = mendArtifacts.readConfig;

/**
 * Load a saved artifact for `model` (Node; a page uses `loadMendArtifactFrom(url, model)`). Refuses, with
 * `MendModelMismatchError`, an artifact trained for another model. The caller owns it: `dispose()` frees the
 * editor.
 */
export const loadMendArtifact = mendArtifacts.load;
