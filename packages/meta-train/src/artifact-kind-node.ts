// A method's trained-editor artifacts in Node: the browser-safe kind (artifact-kind.ts) plus folders on disk
// (save, read, load, the committed artifacts in a package folder, `doPrepare`'s folder) and `context.artifact`
// as a folder reference, loaded once per model.
import { join } from 'node:path';
import { type CausalLM, packageFolder } from '@llmedit/models';
import {
  artifactCache,
  type HostTensors,
  readArtifactConfig,
  readArtifactTensors,
  writeArtifactFiles,
} from './artifact-files.js';
import {
  type ArtifactConfigBase,
  type ArtifactKindSpec,
  type ArtifactRef,
  artifactKind,
  type EditorArtifact,
} from './artifact-kind.js';

/**
 * One method's versioned artifacts (MEND's, KE's) in Node: assemble, save, read, load (refused for another base
 * model), fetch (`loadFrom`), recognise, and resolve `context.artifact` (a loaded artifact, or a folder loaded
 * once per model).
 */
export function artifactKindNode<
  C extends ArtifactConfigBase,
  E extends { dispose(): void; toHost(): HostTensors },
>(spec: ArtifactKindSpec<C, E>) {
  type Artifact = EditorArtifact<C, E>;
  const kind = artifactKind(spec);
  const { layout } = spec;
  const readConfig = (dir: string): C => readArtifactConfig<C>(layout, dir);
  const load = (dir: string, model: CausalLM): Artifact => {
    // The config first: a missing or foreign folder fails before its tensors are read.
    const config = readConfig(dir);
    if (config.baseModelId !== model.modelId) throw spec.mismatch(config.baseModelId, model.modelId);
    return kind.fromParts(dir, model, config, readArtifactTensors(layout, dir));
  };
  const loaded = artifactCache(load);
  const save = (artifact: Artifact, dir: string): ArtifactRef<C['format']> => {
    writeArtifactFiles(layout, dir, artifact.config, artifact.editor.toHost());
    return { format: layout.format, dir };
  };
  return {
    ...kind,
    save,
    /**
     * `doPrepare`'s result: save a freshly trained artifact to `dir` (default: a folder per method and model
     * under the OS temp directory), free it, and return where it lives.
     */
    async keep(artifact: Artifact, model: CausalLM, dir?: string): Promise<ArtifactRef<C['format']>> {
      try {
        const { tmpdir } = await import('node:os');
        return save(artifact, dir ?? join(tmpdir(), `llmedit-${spec.method}`, model.modelId));
      } finally {
        artifact.dispose();
      }
    },
    /** The committed artifact `artifacts/<name>` of the package whose module is at `moduleUrl` (src or dist). */
    committedRef(moduleUrl: string, name: string): ArtifactRef<C['format']> {
      return { format: layout.format, dir: join(packageFolder(moduleUrl), 'artifacts', name) };
    },
    readConfig,
    load,
    /** `context.artifact` as this model's artifact; a folder is loaded once per model (see `release`). */
    resolve(model: CausalLM, value: unknown): Artifact {
      if (kind.isRef(value)) return loaded.get(model, value.dir);
      return kind.resolve(model, value);
    },
    /** Frees the artifacts `resolve` loaded from folders for `model`. */
    release: loaded.release,
  };
}
