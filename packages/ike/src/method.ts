// IKE: In-Context Knowledge Editing (Zheng et al. 2023, "Can We Edit Factual Knowledge by In-Context
// Learning?", arXiv:2305.12740; EasyEdit's ike_main.py, reference/easyedit.md sections 4.13 and 2.8).
import { defineEditMethod, type EditMethodV1, type EditOutcome, type EditRequest } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import {
  buildFactContext,
  checkFactFits,
  clearIkeModel,
  createIkeModel,
  type IkeFactContext,
  ikeBaseOf,
} from './context-model.js';
import type { DemoPool } from './demos.js';
import { type IkeHparams, ikeHparams } from './hparams.js';

/**
 * The facts in effect per base model. `edit()` hands every `doEdit` the base model (weight editors edit it
 * in place), so the memory that grows over sequential edits lives here, keyed by that model, exactly as
 * weight edits accumulate on it: a second edit without `revert()` adds to the first.
 */
const memories = new WeakMap<CausalLM, IkeFactContext[]>();

export interface IkeMethodOptions {
  /**
   * The demonstration store; default: in Node, the training splits named by `hparams.demoPool`
   * (`trainingPool`); in a browser there is none (pass one, or set `k` to 0). A function is called at the
   * first edit that needs it.
   */
  readonly pool?: DemoPool | (() => DemoPool);
}

/** Where `createIkeMethod` gets demonstrations when `options.pool` is absent. */
export type DefaultDemoPool = (hparams: IkeHparams) => DemoPool;

/** Per-edit diagnostics in `EditOutcome.info`. */
export interface IkeInfo {
  readonly retrieval: 'bm25' | 'none';
  /** Facts the returned model holds (all edits so far on this base model). */
  readonly factsInMemory: number;
  readonly facts: readonly {
    readonly prompt: string;
    /** Retrieved demonstrations, most similar first: kind, training record and BM25 score. */
    readonly demos: readonly { kind: string; record: string; score: number }[];
    /** Tokens of the full context (all retrieved demonstrations), before any truncation. */
    readonly contextTokens: number;
  }[];
}

/** IKE with `defaultPool` as its demonstration store when `options.pool` is absent (see `createIkeMethod`). */
export function createIkeMethodWith(
  defaultPool: DefaultDemoPool,
  options: IkeMethodOptions = {},
): EditMethodV1<IkeHparams, CausalLM> {
  let custom: DemoPool | undefined;
  const poolFor = (hparams: IkeHparams): DemoPool => {
    if (options.pool === undefined) return defaultPool(hparams);
    custom ??= typeof options.pool === 'function' ? options.pool() : options.pool;
    return custom;
  };

  return defineEditMethod<IkeHparams, CausalLM>({
    specificationVersion: 'v1',
    id: 'ike',
    displayName: 'IKE (in-context knowledge editing)',
    paper: 'Zheng et al. 2023, Can We Edit Factual Knowledge by In-Context Learning?, arXiv:2305.12740',
    capabilities: {
      // Several facts go into one memory; each input is read with the context of the fact it is about.
      batch: true,
      // The memory grows with every edit; revert empties it.
      sequential: true,
      multimodal: false,
      requiresTraining: false,
      modifiesWeights: false,
    },
    hparams: ikeHparams,
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<CausalLM>> {
      context.signal?.throwIfAborted();
      // Editing an IKE view edits its base: contexts never stack.
      const base = ikeBaseOf(model) ?? model;
      const k = hparams.useIclExamples ? hparams.k : 0;
      const pool = k > 0 ? poolFor(hparams) : undefined;
      const added = requests.map((request: EditRequest, i) => {
        const fact = buildFactContext(base, request, pool?.retrieve(request, k) ?? [], hparams.demoOrder);
        checkFactFits(base, fact, request.id ?? `request ${i}`);
        return fact;
      });
      const memory = memories.get(base) ?? [];
      memory.push(...added);
      memories.set(base, memory);
      const wrapper = createIkeModel(base, memory, { reservedTokens: hparams.reservedTokens });
      const info: IkeInfo = {
        retrieval: pool === undefined ? 'none' : 'bm25',
        factsInMemory: memory.length,
        facts: added.map((fact) => ({
          prompt: fact.request.prompt,
          demos: fact.retrieved.map((r) => ({ kind: r.demo.kind, record: r.demo.record, score: r.score })),
          contextTokens: (fact.contexts.at(-1) as readonly number[]).length,
        })),
      };
      let released = false;
      // Drop exactly this edit's facts; earlier edits stay until their own restore.
      const release = (): void => {
        if (released) return;
        released = true;
        const current = memories.get(base);
        if (current !== undefined) {
          const remaining = current.filter((fact) => !added.includes(fact));
          if (remaining.length === 0) memories.delete(base);
          else memories.set(base, remaining);
        }
        clearIkeModel(wrapper);
      };
      return {
        model: wrapper,
        deltas: new Map(),
        restore: release,
        // The facts live in the memory, not in the base model: once the outcome is disposed nothing could
        // revert them, so they leave it (later edits must not carry a disposed edit).
        dispose: release,
        info: info as unknown as Readonly<Record<string, unknown>>,
      };
    },
  });
}
