// KE's artifact folders (Node): save, read the config, load. The formats and the in-memory artifact are in
// artifact-format.ts (browser-safe), re-exported here so that Node code imports one module.
import { artifactKindNode } from '@llmedit/meta-train/node';
import { keArtifactKind } from './artifact-format.js';

export * from './artifact-format.js';

/** Ke's artifacts with folders: save, read, load, the committed ones, and `context.artifact` references. */
export const keArtifacts = artifactKindNode(keArtifactKind.spec);

/** Write `ke.json` and `editor.safetensors`. */
export const saveKeArtifact = keArtifacts.save;

/** Read and check a saved artifact's ke.json (format and version) without loading the editor. */
export const readKeArtifactConfig = keArtifacts.readConfig;

/**
 * Load a saved artifact for `model` (Node; a page uses `loadKeArtifactFrom(url, model)`). Refuses, with
 * `KeModelMismatchError`, an artifact trained for another model. The caller owns it: `dispose()` frees the
 * editor.
 */
export const loadKeArtifact = keArtifacts.load;
