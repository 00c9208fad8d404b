// EasyEdit's evaluation protocol (reference/easyedit.md sections 2.1-2.5) and ROME's CounterFact suite
// (Meng et al. 2022, "Locating and Editing Factual Associations in GPT", section 3.2 and appendix; section 2.9);
// ROME's own zsRE protocol is in rome-zsre.ts.
import { type EditRequest, InvalidRequestError, type PromptAnswer } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { ngramEntropy } from './ngram-entropy.js';
import type { PreEditCache, PreEditRecord } from './pre-edit-cache.js';
import {
  type MetricValue,
  MissingPreEditError,
  PROTOCOL_TAGS,
  type ProtocolTag,
  type RecordResult,
} from './protocol.js';
import { requestKey, stableStringify } from './record-key.js';
import { romeZsreMetrics } from './rome-zsre.js';
import { type GenerationOptions, type SampleItem, sampleTexts } from './sampling.js';
import { type BatchOptions, PairScores } from './scoring.js';
import {
  argmaxAgreement,
  argmaxExactAgreement,
  compareTargets,
  exactMatch,
  mean,
  tokenAccuracy,
} from './token-metrics.js';

/** An edit request, optionally with ROME's generation prompts (CounterFact `generation_prompts`) for GE. */
export type EvaluationRequest = EditRequest & { generationPrompts?: readonly string[] };

/**
 * 'easyedit': reliability, generalization, locality, portability (+ fluency); 'counterfact': ROME's ES..NM
 * (+ GE); 'rome-zsre': ROME's zsRE protocol (efficacy, paraphrase, specificity; rome-zsre.ts).
 */
export type Suite = 'easyedit' | 'counterfact' | 'rome-zsre';

const SUITES: readonly Suite[] = ['easyedit', 'counterfact', 'rome-zsre'];

export interface EvaluateOptions extends BatchOptions {
  /** Metric suites to compute. Default ['easyedit']. */
  suites?: readonly Suite[];
  /** EasyEdit fluency (needs generation, so off by default): entropy of a top-k sample from the edit prompt. */
  fluency?: boolean | GenerationOptions;
  /** ROME's GE over each request's `generationPrompts` (counterfact suite; off by default). */
  generationEntropy?: boolean | (GenerationOptions & { maxPrompts?: number });
  /** Seed of every sampled generation (each text also gets its own stream from its prompt). Default 42. */
  seed?: number;
  /** Locality key whose probes are ROME's neighborhood prompts (NS, NM). Default 'neighborhood'. */
  neighborhoodKey?: string;
}

export interface PreEditOptions extends EvaluateOptions {
  /** Reuse and fill this cache: records already in it (same model, settings and content) are not recomputed. */
  cache?: PreEditCache;
}

export interface PostEditOptions extends EvaluateOptions {
  /** Pre-edit values: a cache filled by `computePreEdit`, or its result for exactly these requests, in order. */
  pre?: PreEditCache | readonly PreEditRecord[];
  /** Id of the unedited model to look up in a cache. Default `model.modelId` (in-place edits keep it). */
  preModelId?: string;
}

/** @internal */
export interface Settings {
  suites: Set<Suite>;
  fluency: GenerationOptions | undefined;
  generationEntropy: (GenerationOptions & { maxPrompts?: number }) | undefined;
  seed: number;
  neighborhoodKey: string;
}

/** @internal */
export function settingsOf(options: EvaluateOptions): Settings {
  const suites = new Set<Suite>(options.suites ?? ['easyedit']);
  for (const s of suites) {
    if (!SUITES.includes(s))
      throw new InvalidRequestError('evaluate', 'suites', `has unknown suite '${String(s)}'`);
  }
  const generation = <T extends object>(v: boolean | T | undefined): T | undefined =>
    v === undefined || v === false ? undefined : v === true ? ({} as T) : v;
  return {
    suites,
    fluency: suites.has('easyedit') ? generation(options.fluency) : undefined,
    generationEntropy: suites.has('counterfact') ? generation(options.generationEntropy) : undefined,
    seed: options.seed ?? 42,
    neighborhoodKey: options.neighborhoodKey ?? 'neighborhood',
  };
}

/** Everything but batching: what the values depend on (a cache key). */
function settingsKey(settings: Settings, options: BatchOptions): string {
  const sampling = (g: GenerationOptions | undefined) =>
    g === undefined ? undefined : { maxLength: g.maxLength ?? 100, topK: g.topK ?? 5 };
  return stableStringify({
    ...settings,
    suites: [...settings.suites].sort(),
    fluency: sampling(settings.fluency),
    generationEntropy:
      settings.generationEntropy === undefined
        ? undefined
        : { ...sampling(settings.generationEntropy), maxPrompts: settings.generationEntropy.maxPrompts },
    bos: options.prependBos ?? 'auto',
  });
}

function localityKey(options: BatchOptions): string {
  return `bos=${options.prependBos ?? 'auto'}`;
}

function firstAnswer(probe: PromptAnswer, record: string, field: string): string {
  const answer = typeof probe.groundTruth === 'string' ? probe.groundTruth : probe.groundTruth[0];
  if (answer === undefined) throw new InvalidRequestError(record, field, 'has no ground-truth answer');
  return answer;
}

function metric(value: number, tag: ProtocolTag, count: number): MetricValue {
  return { value, tag, count };
}

function entries<T>(record: Readonly<Record<string, T>> | undefined): [string, T][] {
  return record === undefined ? [] : Object.entries(record);
}

/** Collect every teacher-forced pair the requested suites need (first pass). */
function collectPairs(
  requests: readonly EvaluationRequest[],
  ids: readonly string[],
  settings: Settings,
): PairScores {
  const pairs = new PairScores();
  requests.forEach((request, i) => {
    const id = ids[i]!;
    const rephrases = request.rephrasePrompts ?? [];
    if (settings.suites.has('easyedit')) {
      pairs.add(request.prompt, request.targetNew, id, 'prompt/targetNew');
      for (const p of rephrases) pairs.add(p, request.targetNew, id, 'rephrasePrompts');
      for (const [key, probes] of entries(request.locality)) {
        probes.forEach((probe, j) => {
          const field = `locality.${key}[${j}]`;
          pairs.add(probe.prompt, firstAnswer(probe, id, field), id, field);
        });
      }
      for (const [key, probes] of entries(request.portability)) {
        probes.forEach((probe, j) => {
          const field = `portability.${key}[${j}]`;
          pairs.add(probe.prompt, firstAnswer(probe, id, field), id, field);
        });
      }
    }
    if (settings.suites.has('counterfact')) {
      if (request.groundTruth !== undefined) {
        for (const p of [request.prompt, ...rephrases]) {
          pairs.add(p, request.targetNew, id, 'targetNew');
          pairs.add(p, request.groundTruth, id, 'groundTruth');
        }
      }
      (request.locality?.[settings.neighborhoodKey] ?? []).forEach((probe, j) => {
        const field = `locality.${settings.neighborhoodKey}[${j}]`;
        pairs.add(probe.prompt, firstAnswer(probe, id, field), id, field);
        pairs.add(probe.prompt, request.targetNew, id, field);
      });
    }
  });
  return pairs;
}

/** Token accuracy and exact match of `target` after each prompt, averaged over the prompts. */
function accuracyOver(scores: PairScores, probes: readonly { prompt: string; target: string }[]) {
  const s = probes.map((p) => scores.get(p.prompt, p.target));
  return { accuracy: mean(s.map(tokenAccuracy)), exact: mean(s.map(exactMatch)), count: s.length };
}

function addKeyed(
  metrics: Record<string, MetricValue>,
  name: string,
  perKey: [string, { accuracy: number; exact: number; count: number }][],
  tags: { accuracy: ProtocolTag; exact: ProtocolTag },
): void {
  if (perKey.length === 0) return;
  for (const [key, v] of perKey) {
    metrics[`${name}.${key}`] = metric(v.accuracy, tags.accuracy, v.count);
    metrics[`${name}Exact.${key}`] = metric(v.exact, tags.exact, v.count);
  }
  // KnowEdit's summary: the mean over keys of the per-key means.
  const count = perKey.reduce((s, [, v]) => s + v.count, 0);
  metrics[name] = metric(mean(perKey.map(([, v]) => v.accuracy)), tags.accuracy, count);
  metrics[`${name}Exact`] = metric(mean(perKey.map(([, v]) => v.exact)), tags.exact, count);
}

/** @internal */
export type Mode =
  | { kind: 'pre' }
  | { kind: 'post'; preArgmax: readonly (Record<string, number[][]> | undefined)[] };

function generationItems(requests: readonly EvaluationRequest[], ids: readonly string[], settings: Settings) {
  const fluency: SampleItem[] = [];
  const ge: { item: SampleItem; record: number }[] = [];
  requests.forEach((request, i) => {
    if (settings.generationEntropy !== undefined) {
      request.generationPrompts?.forEach((prompt, j) => {
        if (prompt.trim() === '')
          throw new InvalidRequestError(ids[i]!, `generationPrompts[${j}]`, 'is empty');
      });
    }
    // Streams are keyed by prompt text (and position in the list), so a text's sample depends on the seed,
    // the prompt and the model only: not on the batch, the record order, or pre vs post.
    if (settings.fluency !== undefined)
      fluency.push({ prompt: request.prompt, key: `fluency\u0000${request.prompt}` });
    if (settings.generationEntropy !== undefined) {
      const prompts = request.generationPrompts ?? [];
      const limit = settings.generationEntropy.maxPrompts ?? prompts.length;
      prompts.slice(0, limit).forEach((prompt, j) => {
        ge.push({ item: { prompt, key: `ge\u0000${j}\u0000${prompt}` }, record: i });
      });
    }
  });
  return { fluency, ge };
}

/** @internal */
export interface SuiteOutput {
  results: RecordResult[];
  localityArgmax: Record<string, number[][]>[];
}

/** @internal One batched pass of the requested suites over `requests`. */
export function runSuites(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: BatchOptions,
  settings: Settings,
  mode: Mode,
): SuiteOutput {
  const ids = requests.map((r, i) => r.id ?? String(i));
  const scores = collectPairs(requests, ids, settings);
  if (scores.size > 0) scores.run(model, options);

  const { fluency, ge } = generationItems(requests, ids, settings);
  const fluencyTexts = fluency.length > 0 ? sampleTexts(model, fluency, settings.seed, settings.fluency) : [];
  const geTexts =
    ge.length > 0
      ? sampleTexts(
          model,
          ge.map((g) => g.item),
          settings.seed,
          settings.generationEntropy,
        )
      : [];
  const geByRecord = new Map<number, number[]>();
  ge.forEach((g, k) => {
    const list = geByRecord.get(g.record) ?? [];
    list.push(ngramEntropy(geTexts[k]!));
    geByRecord.set(g.record, list);
  });

  // ROME's zsRE protocol needs no pre-edit reference: pre and post are the same computation.
  const romeZsre = settings.suites.has('rome-zsre')
    ? romeZsreMetrics(model, requests, ids, { ...options, neighborhoodKey: settings.neighborhoodKey })
    : undefined;

  const localityArgmax: Record<string, number[][]>[] = [];
  const results = requests.map((request, i): RecordResult => {
    const id = ids[i]!;
    const metrics: Record<string, MetricValue> = { ...romeZsre?.[i] };
    const rephrases = request.rephrasePrompts ?? [];
    const argmax: Record<string, number[][]> = {};
    if (settings.suites.has('easyedit')) {
      const rel = accuracyOver(scores, [{ prompt: request.prompt, target: request.targetNew }]);
      metrics.reliability = metric(rel.accuracy, PROTOCOL_TAGS.tokenAccuracy, 1);
      metrics.reliabilityExact = metric(rel.exact, PROTOCOL_TAGS.exactMatch, 1);
      if (rephrases.length > 0) {
        const gen = accuracyOver(
          scores,
          rephrases.map((prompt) => ({ prompt, target: request.targetNew })),
        );
        metrics.generalization = metric(gen.accuracy, PROTOCOL_TAGS.tokenAccuracy, gen.count);
        metrics.generalizationExact = metric(gen.exact, PROTOCOL_TAGS.exactMatch, gen.count);
      }
      const portability = entries(request.portability)
        .filter(([, probes]) => probes.length > 0)
        .map(([key, probes]) => {
          const targets = probes.map((p, j) => ({
            prompt: p.prompt,
            target: firstAnswer(p, id, `portability.${key}[${j}]`),
          }));
          return [key, accuracyOver(scores, targets)] as [string, ReturnType<typeof accuracyOver>];
        });
      addKeyed(metrics, 'portability', portability, {
        accuracy: PROTOCOL_TAGS.tokenAccuracy,
        exact: PROTOCOL_TAGS.exactMatch,
      });

      const locality: [string, { accuracy: number; exact: number; count: number }][] = [];
      const pre = mode.kind === 'post' ? mode.preArgmax[i] : undefined;
      for (const [key, probes] of entries(request.locality)) {
        if (probes.length === 0) continue;
        const post = probes.map(
          (p, j) => scores.get(p.prompt, firstAnswer(p, id, `locality.${key}[${j}]`)).argmaxIds,
        );
        argmax[key] = post;
        if (mode.kind === 'pre') continue;
        const reference = pre?.[key];
        if (reference === undefined) {
          throw new MissingPreEditError(
            id,
            `locality '${key}' needs the pre-edit argmax tokens: pass { pre } from computePreEdit (run before editing)`,
          );
        }
        if (reference.length !== post.length || reference.some((r, j) => r.length !== post[j]!.length)) {
          throw new MissingPreEditError(
            id,
            `pre-edit locality '${key}' does not match this request's probes`,
          );
        }
        locality.push([
          key,
          {
            accuracy: mean(post.map((p, j) => argmaxAgreement(reference[j]!, p))),
            exact: mean(post.map((p, j) => argmaxExactAgreement(reference[j]!, p))),
            count: post.length,
          },
        ]);
      }
      addKeyed(metrics, 'locality', locality, {
        accuracy: PROTOCOL_TAGS.argmaxAgreement,
        exact: PROTOCOL_TAGS.argmaxExactAgreement,
      });
      if (settings.fluency !== undefined) {
        // One fluency item per request, in request order.
        metrics.fluency = metric(ngramEntropy(fluencyTexts[i]!), PROTOCOL_TAGS.ngramEntropy, 1);
      }
    }

    if (settings.suites.has('counterfact')) {
      const truth = request.groundTruth;
      const compare = (prompts: readonly string[], preferNew: boolean) => {
        const c = prompts.map((p) => {
          const n = scores.get(p, request.targetNew);
          const t = scores.get(p, truth!);
          return preferNew ? compareTargets(n, t) : compareTargets(t, n);
        });
        return {
          success: mean(c.map((x) => x.success)),
          magnitude: mean(c.map((x) => x.magnitude)),
          count: c.length,
        };
      };
      if (truth !== undefined) {
        const es = compare([request.prompt], true);
        metrics.ES = metric(es.success, PROTOCOL_TAGS.probabilityComparison, 1);
        metrics.EM = metric(es.magnitude, PROTOCOL_TAGS.probabilityMagnitude, 1);
        if (rephrases.length > 0) {
          const ps = compare(rephrases, true);
          metrics.PS = metric(ps.success, PROTOCOL_TAGS.probabilityComparison, ps.count);
          metrics.PM = metric(ps.magnitude, PROTOCOL_TAGS.probabilityMagnitude, ps.count);
        }
      }
      const neighbors = request.locality?.[settings.neighborhoodKey] ?? [];
      if (neighbors.length > 0) {
        const c = neighbors.map((probe, j) => {
          const answer = firstAnswer(probe, id, `locality.${settings.neighborhoodKey}[${j}]`);
          return compareTargets(
            scores.get(probe.prompt, answer),
            scores.get(probe.prompt, request.targetNew),
          );
        });
        metrics.NS = metric(mean(c.map((x) => x.success)), PROTOCOL_TAGS.probabilityComparison, c.length);
        metrics.NM = metric(mean(c.map((x) => x.magnitude)), PROTOCOL_TAGS.probabilityMagnitude, c.length);
      }
      const entropies = geByRecord.get(i);
      if (entropies !== undefined)
        metrics.GE = metric(mean(entropies), PROTOCOL_TAGS.ngramEntropy, entropies.length);
    }
    localityArgmax.push(argmax);
    return { id, metrics };
  });
  return { results, localityArgmax };
}

interface PreEditPlan {
  settings: Settings;
  settingsKey: string;
  keys: string[];
  found: (PreEditRecord | undefined)[];
  /** Indices of the requests to compute, and those requests with an id. */
  missing: number[];
  missingRequests: EvaluationRequest[];
}

/** @internal Look the requests up in the cache; what is left must be computed. */
export function planPreEdit(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PreEditOptions,
): PreEditPlan {
  const settings = settingsOf(options);
  const key = settingsKey(settings, options);
  const keys = requests.map(requestKey);
  const found = keys.map((k) => options.cache?.get(model.modelId, key, k));
  const missing = found.flatMap((r, i) => (r === undefined ? [i] : []));
  const missingRequests = missing.map((i) => ({ ...requests[i]!, id: requests[i]!.id ?? String(i) }));
  return { settings, settingsKey: key, keys, found, missing, missingRequests };
}

/** @internal Store what was computed for the missing requests and return every record in order. */
export function finishPreEdit(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PreEditOptions,
  plan: PreEditPlan,
  computed: SuiteOutput,
): PreEditRecord[] {
  const out = [...plan.found];
  plan.missing.forEach((i, m) => {
    const record: PreEditRecord = {
      key: plan.keys[i]!,
      modelId: model.modelId,
      localityArgmax: computed.localityArgmax[m]!,
      result: computed.results[m]!,
    };
    options.cache?.set(
      plan.settingsKey,
      record,
      plan.settings.suites.has('easyedit') ? localityKey(options) : undefined,
    );
    out[i] = record;
  });
  return out.map((r, i) => ({ ...r!, result: { ...r!.result, id: requests[i]!.id ?? String(i) } }));
}

/**
 * Pre-edit values of `requests` on the unedited `model`: the locality reference (argmax tokens at the
 * ground-truth positions) and the "pre" metrics. With a cache, records already computed for this model and
 * these settings are reused and new ones added; all missing records go through one batched pass.
 */
export function computePreEdit(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PreEditOptions = {},
): PreEditRecord[] {
  const plan = planPreEdit(model, requests, options);
  const computed =
    plan.missing.length === 0
      ? { results: [], localityArgmax: [] }
      : runSuites(model, plan.missingRequests, options, plan.settings, { kind: 'pre' });
  return finishPreEdit(model, requests, options, plan, computed);
}

/** @internal The pre-edit locality reference of each request (undefined where none was supplied). */
export function preEditReferences(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PostEditOptions,
): (Record<string, number[][]> | undefined)[] {
  const { pre } = options;
  if (pre === undefined) return requests.map(() => undefined);
  if (Array.isArray(pre) && pre.length !== requests.length) {
    throw new InvalidRequestError(
      'evaluate',
      'pre',
      `has ${pre.length} records for ${requests.length} requests`,
    );
  }
  const preModelId = options.preModelId ?? model.modelId;
  return requests.map((request, i) => {
    const key = requestKey(request);
    if (Array.isArray(pre)) {
      const record = (pre as readonly PreEditRecord[])[i]!;
      if (record.key !== key) {
        throw new MissingPreEditError(
          request.id ?? String(i),
          `pre-edit record ${i} belongs to another request`,
        );
      }
      return record.localityArgmax;
    }
    return (pre as PreEditCache).localityArgmax(preModelId, localityKey(options), key);
  });
}

/**
 * Metrics of `requests` on the (edited) `model`, one result per request in order. Locality compares with
 * the pre-edit argmax tokens from `options.pre`, required when a request has locality probes.
 */
export function evaluateRequests(
  model: CausalLM,
  requests: readonly EvaluationRequest[],
  options: PostEditOptions = {},
): RecordResult[] {
  const preArgmax = preEditReferences(model, requests, options);
  return runSuites(model, requests, options, settingsOf(options), { kind: 'post', preArgmax }).results;
}
