import type { EditRequest } from '@llmedit/core';
import type { CausalLM, HookPoint } from '@llmedit/models';
import { type CaptureOptions, captureAt, meanRows } from './capture.js';
import {
  type FactToken,
  type LocatedPrompt,
  locatePrompt,
  locateTargetPrompt,
  subjectTemplate,
} from './prompts.js';
import type { ValueRequest } from './target-value.js';

/** ROME's KL prompt: the subject's essence ("{subject} is a"), whose distribution must not drift. */
export const KL_PROMPT_TEMPLATES: readonly string[] = ['{} is a'];

/** One request, tokenized for a locate-then-edit method. */
export interface PreparedRequest {
  readonly subject: string;
  /** The request prompt with '{}' for the subject (its own braces doubled, see `fillSubject`). */
  readonly template: string;
  readonly targetNew: string;
  /** The context-template prompts (group 0 is the bare prompt) located at the fact token. */
  readonly keyPrompts: readonly (readonly LocatedPrompt[])[];
  /** Rewriting prompts (every context template, bare prompt first) with the target, and the KL prompts. */
  readonly value: ValueRequest;
}

/** Put a request template into a context template ('<prefix>. {}'); '$' in the text stays literal. */
export function inContext(context: string, template: string): string {
  return context.replace('{}', () => template);
}

/**
 * Tokenize requests for key and target computation over the given context templates (from
 * `contextTemplates`; group 0 must be ['{}']).
 */
export function prepareRequests(
  model: CausalLM,
  requests: readonly EditRequest[],
  templates: readonly (readonly string[])[],
  factToken: FactToken,
  klTemplates: readonly string[] = KL_PROMPT_TEMPLATES,
): PreparedRequest[] {
  return requests.map((request, i) => {
    const record = request.id ?? `request ${i}`;
    const { template, subject } = subjectTemplate(request, record);
    const keyPrompts = templates.map((group) =>
      group.map((context) => locatePrompt(model, inContext(context, template), subject, factToken)),
    );
    const rewrite = templates
      .flat()
      .map((context) =>
        locateTargetPrompt(
          model,
          inContext(context, template),
          subject,
          request.targetNew,
          factToken,
          record,
        ),
      );
    const kl = klTemplates.map((klTemplate) => locatePrompt(model, klTemplate, subject, factToken));
    return { subject, template, targetNew: request.targetNew, keyPrompts, value: { rewrite, kl } };
  });
}

/**
 * How keys are averaged over context templates: 'flat' gives every template the same weight (ROME's
 * compute_u); 'grouped' averages within each group, then the group means (MEMIT's compute_ks, where the
 * bare prompt alone weighs as much as all the prefixed ones).
 */
export type KeyAveraging = 'flat' | 'grouped';

/** Per-request averages at hook points, as row-major [requests, width] float64 arrays by point key. */
export function averageOverTemplates(
  model: CausalLM,
  prepared: readonly PreparedRequest[],
  points: readonly HookPoint[],
  averaging: KeyAveraging,
  options: CaptureOptions = {},
): Map<string, Float64Array> {
  const prompts: LocatedPrompt[] = [];
  const rowGroups = prepared.map((request) =>
    request.keyPrompts.map((group) =>
      group.map((prompt) => {
        prompts.push(prompt);
        return prompts.length - 1;
      }),
    ),
  );
  const captured = captureAt(model, prompts, points, options);
  const out = new Map<string, Float64Array>();
  for (const point of points) {
    const values = captured.get(point.key) as Float32Array;
    const means = new Float64Array(prepared.length * point.width);
    rowGroups.forEach((groups, r) => {
      let mean: Float64Array;
      if (averaging === 'flat') {
        mean = meanRows(values, point.width, groups.flat());
      } else {
        const nonEmpty = groups.filter((group) => group.length > 0);
        mean = new Float64Array(point.width);
        for (const group of nonEmpty) {
          const groupMean = meanRows(values, point.width, group);
          for (let j = 0; j < point.width; j++) {
            mean[j] = (mean[j] as number) + (groupMean[j] as number) / nonEmpty.length;
          }
        }
      }
      means.set(mean, r * point.width);
    });
    out.set(point.key, means);
  }
  return out;
}

/** Activations at the bare prompt's fact token (group 0), as row-major [requests, width] float32 arrays. */
export function atBarePrompt(
  model: CausalLM,
  prepared: readonly PreparedRequest[],
  points: readonly HookPoint[],
  options: CaptureOptions = {},
): Map<string, Float32Array> {
  return captureAt(
    model,
    prepared.map((request) => request.keyPrompts[0]?.[0] as LocatedPrompt),
    points,
    options,
  );
}
