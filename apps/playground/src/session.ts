// What the page does, without the DOM: edit a fact with a chosen method, read greedy answers, trace, revert.
// Kept apart from main.ts so that it type-checks against the packages alone and reads as the API example.
import { type EditRequest, type EditResult, edit } from '@llmedit/core';
import { ftM, ftPreset } from '@llmedit/ft';
import { ike, ikePreset } from '@llmedit/ike';
import { type KeArtifact, ke, kePreset } from '@llmedit/ke';
import { memit, memitPreset } from '@llmedit/memit';
import { type MendArtifact, mend, mendPreset } from '@llmedit/mend';
import { type CausalLM, generate } from '@llmedit/models';
import { rome, romePreset } from '@llmedit/rome';
import { type SeracArtifact, serac, seracPreset } from '@llmedit/serac';
import { type CausalTrace, renderTraceSvg, traceFact } from '@llmedit/trace';

/** What a method needs from the page besides the model: trained artifacts, fetched when first used. */
export interface PageAssets {
  /** SERAC's committed artifact for the default model (`loadSeracArtifactFrom`); the page keeps it. */
  readonly seracArtifact: () => Promise<SeracArtifact>;
  /** MEND's and KE's committed editors, built for the page's model (`loadMendArtifactFrom`, `loadKeArtifactFrom`). */
  readonly mendArtifact: () => Promise<MendArtifact>;
  readonly keArtifact: () => Promise<KeArtifact>;
}

/** The methods the page offers, each with its preset for the default model (and its artifact, if trained). */
export const METHODS = {
  ROME: async () => ({ method: rome, hparams: romePreset('default') }),
  MEMIT: async () => ({ method: memit, hparams: memitPreset('default') }),
  'FT-M': async () => ({ method: ftM, hparams: ftPreset('ft-m', 'default') }),
  // IKE's demonstrations come from llmedit's training splits, dataset files a page does not load: the page
  // runs it with the new fact alone in context (k = 0 retrieved demonstrations).
  'IKE (k = 0)': async () => ({ method: ike, hparams: { ...ikePreset('default'), k: 0 } }),
  // SERAC's scope classifier and counterfactual model were trained in Node (`pnpm --filter @llmedit/serac
  // train`); the page fetches the committed artifact and passes the loaded object, which the method never frees.
  SERAC: async (assets: PageAssets) => ({
    method: serac,
    hparams: seracPreset('default'),
    context: { artifact: await assets.seracArtifact() },
  }),
  // MEND's and KE's hypernetworks were meta-trained in Node on the training splits; the page fetches the
  // committed editors (config and editor.safetensors) for the default model.
  MEND: async (assets: PageAssets) => ({
    method: mend,
    hparams: mendPreset('default'),
    context: { artifact: await assets.mendArtifact() },
  }),
  KE: async (assets: PageAssets) => ({
    method: ke,
    hparams: kePreset('default'),
    context: { artifact: await assets.keArtifact() },
  }),
} as const satisfies Record<string, (assets: PageAssets) => Promise<{ method: unknown; hparams: unknown }>>;
export type MethodName = keyof typeof METHODS;

/** The example the page opens with: a CounterFact fact the default model knows (case 0). */
export const EXAMPLE = {
  prompt: 'The mother tongue of Danielle Darrieux is',
  subject: 'Danielle Darrieux',
  targetNew: 'English',
  paraphrase: 'Danielle Darrieux, a native',
  neighbour: 'The mother tongue of Léon Blum is',
} as const;

/** Greedy continuations (a few tokens) of each prompt, trimmed. */
export function answers(model: CausalLM, prompts: readonly string[], maxNewTokens = 3): string[] {
  return generate(model, prompts, { maxNewTokens }).map((g) => g.text.trim());
}

/**
 * Run one edit; the result's model answers for the edited fact until `revert()`. `ms` times the edit alone:
 * a method's artifact is fetched (once) before the clock starts.
 */
export async function runEdit(
  name: MethodName,
  model: CausalLM,
  request: EditRequest,
  assets: PageAssets,
): Promise<{ result: EditResult<unknown, CausalLM, unknown>; ms: number }> {
  const setup = await METHODS[name](assets);
  const started = performance.now();
  const result = (await edit({ model, requests: request, ...setup } as never)) as EditResult<
    unknown,
    CausalLM,
    unknown
  >;
  return { result, ms: performance.now() - started };
}

/** ROME's causal trace of the prompt (restoring hidden states), as an SVG heatmap. */
export function traceSvg(
  model: CausalLM,
  prompt: string,
  subject: string,
): { trace: CausalTrace; svg: string } {
  const trace = traceFact(model, { prompt, subject, kind: 'residual', samples: 5 });
  return { trace, svg: renderTraceSvg(trace, { title: `${prompt} …` }) };
}
