// SERAC: Semi-parametric Editing with a Retrieval-Augmented Counterfactual model (Mitchell et al. 2022,
// "Memory-Based Model Editing at Scale", arXiv:2206.06520; EasyEdit's SERAC.py, reference/easyedit.md 4.12).
// This module is browser-safe: the method edits with an artifact object it is given. Folder references and
// training (file system, worker threads) come in through `SeracArtifactFolders`, which method.ts (the Node
// entry) supplies.
import {
  CapabilityError,
  defineEditMethod,
  type EditMethodV1,
  type EditOutcome,
  type EditRequest,
  InvalidRequestError,
  type PrepareContext,
} from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import {
  isSeracArtifact,
  isSeracArtifactRef,
  SERAC_ARTIFACT_FORMAT,
  type SeracArtifact,
  type SeracArtifactRef,
} from './artifact-format.js';
import { type SeracHparams, seracHparams } from './hparams.js';
import { createSeracModel, prepareEdits, type SeracEdit, seracBaseOf, seracRoutes } from './serac-model.js';

/** The edits in effect per base model, and the artifact they were made with (loaded once, freed with the last edit). */
interface Memory {
  readonly artifact: SeracArtifact;
  /** Loaded here from a folder (freed when the memory empties), or the caller's object (never freed here). */
  readonly owned: boolean;
  /** The folder it was loaded from, or the caller's object: a later edit must name the same one. */
  readonly key: string | SeracArtifact;
  readonly edits: SeracEdit[];
}

const memories = new WeakMap<CausalLM, Memory>();

/** The committed artifacts (`artifacts/<name>` in this package): trained for the committed checkpoints. */
export const SERAC_ARTIFACT_NAMES = ['default'] as const;
export type SeracArtifactName = (typeof SERAC_ARTIFACT_NAMES)[number];

/**
 * What the method does with artifact folders: Node reads them and trains new ones (method.ts); a page has
 * neither a file system nor worker threads, so its method takes loaded artifacts only.
 */
export interface SeracArtifactFolders {
  /** The key a reference is remembered by (its absolute folder): a later edit must name the same one. */
  key(ref: SeracArtifactRef): string;
  /** Load the artifact a reference names; the method owns it and frees it with the last edit. */
  load(ref: SeracArtifactRef): SeracArtifact;
  /** `doPrepare`: train an artifact, save it, return where it lives. */
  prepare(
    context: PrepareContext,
    model: CausalLM,
    trainingRequests: readonly EditRequest[],
    hparams: SeracHparams,
  ): Promise<SeracArtifactRef>;
}

function resolveArtifact(
  artifact: unknown,
  folders: SeracArtifactFolders | undefined,
): {
  artifact: SeracArtifact;
  owned: boolean;
  key: string | SeracArtifact;
} {
  if (isSeracArtifact(artifact)) return { artifact, owned: false, key: artifact };
  if (isSeracArtifactRef(artifact)) {
    if (folders === undefined) {
      throw new InvalidRequestError(
        'serac',
        'context.artifact',
        `is a folder reference (${JSON.stringify(artifact.dir).slice(0, 80)}), which only Node reads: in a browser, load the artifact with loadSeracArtifactFrom(url) and pass the loaded artifact`,
      );
    }
    return { artifact: folders.load(artifact), owned: true, key: folders.key(artifact) };
  }
  throw new InvalidRequestError(
    'serac',
    'context.artifact',
    `must be a SeracArtifact or { format: '${SERAC_ARTIFACT_FORMAT}', dir } (from prepare, seracArtifactRef('default') or loadSeracArtifactFrom(url)), got ${JSON.stringify(artifact)?.slice(0, 80)}`,
  );
}

function sameKey(memory: Memory, artifact: unknown, folders: SeracArtifactFolders | undefined): boolean {
  if (isSeracArtifact(artifact)) return memory.key === artifact;
  return isSeracArtifactRef(artifact) && folders !== undefined && memory.key === folders.key(artifact);
}

/** Per-edit diagnostics in `EditOutcome.info`. */
export interface SeracInfo {
  /** Edits the returned model holds (all live edits on this base model). */
  readonly editsInMemory: number;
  /** The artifact's folder, or 'in-memory'. */
  readonly artifact: string;
  /** Scope probability of each request's own prompt against the memory after the edit (above the threshold: routed). */
  readonly promptScope: readonly number[];
}

export interface SeracMethodOptions {
  /**
   * `reference` (id `serac`): EasyEdit's soft mixture for scores, hard routing for generation, no copy
   * mechanism. `copy` (id `serac-copy`): hard routing everywhere and llmedit's copy mechanism.
   */
  readonly variant?: 'reference' | 'copy';
}

/**
 * Build SERAC (or its `serac-copy` variant) over `folders` (Node's entry passes its own; without them the
 * method takes loaded artifacts only and cannot train).
 */
export function createSeracMethodWith(
  options: SeracMethodOptions,
  folders: SeracArtifactFolders | undefined,
): EditMethodV1<SeracHparams, CausalLM> {
  const copy = options.variant === 'copy';
  return defineEditMethod<SeracHparams, CausalLM>({
    specificationVersion: 'v1',
    id: copy ? 'serac-copy' : 'serac',
    displayName: copy
      ? 'SERAC + copy (hard routing, copy mechanism)'
      : 'SERAC (scope classifier + counterfactual model)',
    paper: 'Mitchell et al. 2022, Memory-Based Model Editing at Scale, arXiv:2206.06520',
    capabilities: {
      batch: true,
      // The memory grows with every edit; revert removes that edit's entries.
      sequential: true,
      multimodal: false,
      requiresTraining: true,
      modifiesWeights: false,
    },
    hparams: seracHparams,
    async doPrepare(
      context,
      model,
      trainingRequests: readonly EditRequest[],
      hparams,
    ): Promise<SeracArtifactRef> {
      if (folders === undefined) {
        throw new CapabilityError(
          copy ? 'serac-copy' : 'serac',
          "training needs Node (worker threads and a folder to save to): prepare with @llmedit/serac in Node, or train with its 'train' script, then load the artifact with loadSeracArtifactFrom(url)",
        );
      }
      return folders.prepare(context, model, trainingRequests, hparams);
    },
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<CausalLM>> {
      context.signal?.throwIfAborted();
      // Editing a SERAC view edits its base: memories never nest.
      const base = seracBaseOf(model) ?? model;
      let memory = memories.get(base);
      if (memory !== undefined && !sameKey(memory, context.artifact, folders)) {
        throw new InvalidRequestError(
          'serac',
          'context.artifact',
          'differs from the artifact this model already holds edits of; revert those edits first',
        );
      }
      const fresh = memory === undefined;
      if (memory === undefined) {
        const { artifact, owned, key } = resolveArtifact(context.artifact, folders);
        if (artifact.config.baseModelId !== base.modelId) {
          if (owned) artifact.dispose();
          throw new InvalidRequestError(
            'serac',
            'context.artifact',
            `was trained for model ${artifact.config.baseModelId}, not ${base.modelId}: its classifier reads that model's features`,
          );
        }
        memory = { artifact, owned, key, edits: [] };
      }
      let added: SeracEdit[];
      try {
        added = prepareEdits(base, memory.artifact, requests);
      } catch (error) {
        if (fresh && memory.owned) memory.artifact.dispose();
        throw error;
      }
      memory.edits.push(...added);
      memories.set(base, memory);
      const view = createSeracModel(base, memory.artifact, memory.edits, {
        threshold: hparams.scopeThreshold,
        mixture: copy ? 'hard' : 'soft',
        copy,
      });
      const info: SeracInfo = {
        editsInMemory: memory.edits.length,
        artifact: typeof memory.key === 'string' ? memory.key : 'in-memory',
        promptScope: seracRoutes(
          view,
          requests.map((r) => r.prompt),
        ).map((r) => r.probability),
      };
      const held = memory;
      let released = false;
      // Drop exactly this edit's entries; every view stops routing to them. The last one frees the artifact.
      const release = (): void => {
        if (released) return;
        released = true;
        for (const edit of added) edit.live = false;
        const remaining = held.edits.filter((e) => e.live);
        held.edits.splice(0, held.edits.length, ...remaining);
        if (remaining.length === 0) {
          memories.delete(base);
          if (held.owned) held.artifact.dispose();
        }
      };
      return {
        model: view,
        deltas: new Map(),
        restore: release,
        // The edit lives in the memory, not in the base model's weights: once its outcome is disposed
        // nothing could ever revert it, so it leaves the memory (later edits must not carry it, and the
        // artifact must be freed with the last entry).
        dispose: release,
        info: info as unknown as Readonly<Record<string, unknown>>,
      };
    },
  });
}

/**
 * SERAC over the frozen base model as EasyEdit runs it (the browser entry's: it takes a loaded artifact; the
 * Node entry's `serac` also takes folder references and trains): edits go into a memory; scores mix the base
 * and the counterfactual model (which reads the nearest edit first) by the scope probability s,
 * (1 - s) p_base + s p_cf; generation routes to the counterfactual model when s > `scopeThreshold`, else to
 * the base model.
 *
 * @example
 * const artifact = await loadSeracArtifactFrom('/serac/default/');
 * const result = await edit({ method: serac, model, requests: [{ prompt: 'Satyajit Ray speaks', targetNew: 'French' }],
 *   context: { artifact } });
 * scoreTargets(result.model, [{ prompt: 'Satyajit Ray speaks', target: 'French' }]);
 * result.revert(); // memory emptied; the base model was never changed
 */
export const serac: EditMethodV1<SeracHparams, CausalLM> = createSeracMethodWith({}, undefined);

/**
 * llmedit's SERAC variant: hard routing for scores too (the base model's logits bit for bit out of scope)
 * and a copy mechanism over the edit's answer in the counterfactual model (README "Copy mechanism").
 */
export const seracCopy: EditMethodV1<SeracHparams, CausalLM> = createSeracMethodWith(
  { variant: 'copy' },
  undefined,
);

/**
 * Build SERAC (or `serac-copy`) taking loaded artifacts only (`loadSeracArtifactFrom`); the Node entry's
 * `createSeracMethod` also reads folders and trains.
 */
export function createSeracMethod(options: SeracMethodOptions = {}): EditMethodV1<SeracHparams, CausalLM> {
  return createSeracMethodWith(options, undefined);
}
