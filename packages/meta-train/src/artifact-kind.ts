// A method's trained-editor artifacts without a file system (browser-safe): assemble, recognise, check a
// config, build the editor from its tensors, fetch a served folder (`loadFrom`), and resolve `context.artifact`
// when it is a loaded artifact. Folders on disk (save, read, load, committed artifacts, `doPrepare`'s folder)
// are in artifact-kind-node.ts (the package's `node` entry).
import { InvalidRequestError } from '@llmedit/core';
import { type CausalLM, type FetchLike, fetchOptional, fileUrl, parseSafetensors } from '@llmedit/models';
import type { ArtifactLayout, HostTensors } from './artifact-layout.js';

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

export interface LoadArtifactFromOptions {
  /** The fetch to use; default the global `fetch`. */
  readonly fetch?: FetchLike;
}

/** Host copies of a safetensors file's tensors (decoded to float32). */
export function hostTensors(bytes: Uint8Array, fileName: string): HostTensors {
  return new Map(
    [...parseSafetensors(bytes, fileName)].map(([name, t]) => [
      name,
      { shape: [...t.shape], data: Float32Array.from(t.data) },
    ]),
  );
}

/**
 * Check a parsed config (its format and version; `where` names the folder or URL in errors). Other fields are
 * trusted as the trainer wrote them: the version pins their meaning.
 */
export function checkArtifactConfig<C extends { format: string; version: number }>(
  layout: ArtifactLayout,
  where: string,
  json: unknown,
): C {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw layout.fail(where, `${layout.configFile} is not a JSON object`);
  }
  const config = json as C;
  if (config.format !== layout.format) {
    throw layout.fail(
      where,
      `${layout.configFile} has format ${JSON.stringify(config.format)}, expected '${layout.format}'`,
    );
  }
  if (config.version !== layout.version) {
    throw layout.fail(
      where,
      `is version ${config.version}; this package reads version ${layout.version} (train it again)`,
    );
  }
  return config;
}

/** Parse a config file's bytes (`where` names the folder or URL in errors) and check it. */
export function parseArtifactConfig<C extends { format: string; version: number }>(
  layout: ArtifactLayout,
  where: string,
  text: string,
): C {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw layout.fail(where, `${layout.configFile} is not JSON: ${(error as Error).message}`);
  }
  return checkArtifactConfig<C>(layout, where, json);
}

/**
 * One method's versioned artifacts (MEND's, KE's), browser-safe: assemble, recognise, build from a config and
 * tensors (refused for another base model), fetch a served folder, and resolve `context.artifact` when it is a
 * loaded artifact. `artifactKindNode` adds folders on disk.
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
  /** The artifact from its checked config and saved tensors; `where` names the folder or URL in errors. */
  const fromParts = (where: string, model: CausalLM, config: C, tensors: HostTensors): Artifact => {
    if (config.baseModelId !== model.modelId) throw spec.mismatch(config.baseModelId, model.modelId);
    const editor = spec.fromHost(model, config, tensors);
    if (typeof editor === 'string') throw layout.fail(where, `${layout.tensorsFile} needs ${editor}`);
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
  return {
    spec,
    create,
    fromParts,
    isRef,
    isArtifact,
    /**
     * Fetch the artifact folder served at `base` (a URL, or a path relative to the page): the config and the
     * editor's tensors, built for `model` (refused for another base model). The browser counterpart of the
     * Node entry's `load(dir, model)`; the caller owns the result.
     */
    async loadFrom(
      base: string | URL,
      model: CausalLM,
      options: LoadArtifactFromOptions = {},
    ): Promise<Artifact> {
      const where = String(base);
      const get: FetchLike | undefined =
        options.fetch ?? (typeof fetch === 'function' ? (url) => fetch(url) : undefined);
      if (get === undefined) throw layout.fail(where, 'this runtime has no global fetch: pass options.fetch');
      const configUrl = fileUrl(base, layout.configFile);
      const tensorsUrl = fileUrl(base, layout.tensorsFile);
      const [configBytes, tensorBytes] = await Promise.all([
        fetchOptional(get, configUrl),
        fetchOptional(get, tensorsUrl),
      ]);
      // The same errors as the Node loader for a folder without its files (network failures and other HTTP
      // statuses throw CheckpointError naming the URL).
      if (configBytes === undefined) {
        throw layout.fail(
          where,
          `has no ${layout.configFile} (HTTP 404 for ${configUrl}; train one: ${layout.trainCommand})`,
        );
      }
      if (tensorBytes === undefined) {
        throw layout.fail(where, `has no ${layout.tensorsFile} (HTTP 404 for ${tensorsUrl})`);
      }
      const config = parseArtifactConfig<C>(layout, where, new TextDecoder().decode(configBytes));
      return fromParts(where, model, config, hostTensors(tensorBytes, tensorsUrl));
    },
    /**
     * `context.artifact` as this model's artifact, when it is a loaded one (a folder reference needs the Node
     * entry's `resolve`, which reads folders).
     */
    resolve(model: CausalLM, value: unknown): Artifact {
      if (isArtifact(value)) {
        if (value.config.baseModelId !== model.modelId)
          throw spec.mismatch(value.config.baseModelId, model.modelId);
        return value;
      }
      if (isRef(value)) {
        throw new InvalidRequestError(
          spec.method,
          'context.artifact',
          `is a folder reference (${JSON.stringify(value.dir).slice(0, 80)}), which only Node reads: in a browser, load the artifact from its URL (loadFrom) and pass the loaded artifact`,
        );
      }
      throw new InvalidRequestError(
        spec.method,
        'context.artifact',
        `must be a loaded artifact or { format: '${layout.format}', dir } (from prepare or ${spec.trainer}), got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}`,
      );
    },
  };
}
