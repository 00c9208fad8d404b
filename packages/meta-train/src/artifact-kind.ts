import { join } from 'node:path';
import { InvalidRequestError } from '@llmedit/core';
import { type CausalLM, packageFolder } from '@llmedit/models';
import {
  type ArtifactLayout,
  artifactCache,
  type HostTensors,
  readArtifactConfig,
  readArtifactTensors,
  writeArtifactFiles,
} from './artifact-files.js';

/** What every trained editor's config file holds besides its method's hyperparameters and report. */
export interface ArtifactConfigBase {
  readonly format: string;
  readonly version: number;
  /** `modelId` of the base model the editor was trained on; it edits no other. */
  readonly baseModelId: string;
}

/** A trained editor for one base model: its config and the editor, which it owns. */
export interface EditorArtifact<C extends ArtifactConfigBase, E extends { dispose(): void }> {
  readonly config: C;
  readonly editor: E;
  dispose(): void;
}

/** The JSON form of a saved artifact (`doPrepare`'s return value, `context.artifact`): where it lives. */
export interface ArtifactRef<F extends string> {
  readonly format: F;
  readonly dir: string;
}

/** What a method tells `artifactKind` about its artifacts. */
export interface ArtifactKindSpec<
  C extends ArtifactConfigBase,
  E extends { dispose(): void; toHost(): HostTensors },
> {
  readonly layout: ArtifactLayout & { readonly format: C['format'] };
  /** The method id, for error messages. */
  readonly method: string;
  /** The trainer's name, for error messages (`trainMend`). */
  readonly trainer: string;
  /** Whether a value is this method's editor (an `instanceof` check). */
  readonly isEditor: (value: unknown) => value is E;
  /** The editor from saved tensors, or the name of the first missing or misshapen tensor. */
  readonly fromHost: (model: CausalLM, config: C, tensors: HostTensors) => E | string;
  /** The method's typed error for an artifact trained on another model. */
  readonly mismatch: (artifactModelId: string, modelId: string) => Error;
}

/**
 * One method's versioned artifacts (MEND's, KE's): assemble, save, read, load (refused for another base model),
 * recognise, and resolve `context.artifact` (a loaded artifact, or a folder loaded once per model).
 */
export function artifactKind<
  C extends ArtifactConfigBase,
  E extends { dispose(): void; toHost(): HostTensors },
>(spec: ArtifactKindSpec<C, E>) {
  type Artifact = EditorArtifact<C, E>;
  const { layout } = spec;
  const create = (config: C, editor: E): Artifact => {
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
  };
  const readConfig = (dir: string): C => readArtifactConfig<C>(layout, dir);
  const load = (dir: string, model: CausalLM): Artifact => {
    const config = readConfig(dir);
    if (config.baseModelId !== model.modelId) throw spec.mismatch(config.baseModelId, model.modelId);
    const editor = spec.fromHost(model, config, readArtifactTensors(layout, dir));
    if (typeof editor === 'string') throw layout.fail(dir, `${layout.tensorsFile} needs ${editor}`);
    return create(config, editor);
  };
  const isRef = (value: unknown): value is ArtifactRef<C['format']> =>
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === layout.format &&
    typeof (value as { dir?: unknown }).dir === 'string';
  const isArtifact = (value: unknown): value is Artifact =>
    typeof value === 'object' &&
    value !== null &&
    spec.isEditor((value as { editor?: unknown }).editor) &&
    typeof (value as { dispose?: unknown }).dispose === 'function';
  const loaded = artifactCache(load);
  const save = (artifact: Artifact, dir: string): ArtifactRef<C['format']> => {
    writeArtifactFiles(layout, dir, artifact.config, artifact.editor.toHost());
    return { format: layout.format, dir };
  };
  return {
    create,
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
    isRef,
    isArtifact,
    /** `context.artifact` as this model's artifact; a folder is loaded once per model (see `release`). */
    resolve(model: CausalLM, value: unknown): Artifact {
      if (isArtifact(value)) {
        if (value.config.baseModelId !== model.modelId)
          throw spec.mismatch(value.config.baseModelId, model.modelId);
        return value;
      }
      if (isRef(value)) return loaded.get(model, value.dir);
      throw new InvalidRequestError(
        spec.method,
        'context.artifact',
        `must be a loaded artifact or { format: '${layout.format}', dir } (from prepare or ${spec.trainer}), got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}`,
      );
    },
    /** Frees the artifacts `resolve` loaded from folders for `model`. */
    release: loaded.release,
  };
}
