// Knowledge-neuron selection, Dai et al. 2022 section 3.2 ("Knowledge Neuron Refining"): coarse neurons
// have an attribution above t * max attribution; refined neurons are those shared by more than p of the
// prompts that express the fact.
import { InvalidHparamsError, InvalidRequestError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { type AttributionOptions, integratedGradients, type NeuronAttribution } from './attribution.js';

/** One FFN neuron: `index` into the MLP key (intermediate) activations of block `layer`. */
export interface Neuron {
  layer: number;
  index: number;
}

/** A neuron with its attribution score. */
export interface ScoredNeuron extends Neuron {
  score: number;
}

/**
 * Neurons whose score exceeds `adaptiveThreshold` times the largest score over every attributed layer,
 * highest score first (ties by layer, then index).
 */
export function coarseNeurons(attribution: NeuronAttribution, adaptiveThreshold: number): ScoredNeuron[] {
  if (!(adaptiveThreshold >= 0 && adaptiveThreshold <= 1)) {
    throw new InvalidHparamsError('adaptiveThreshold', `must be in [0, 1], got ${adaptiveThreshold}`);
  }
  const out: ScoredNeuron[] = [];
  // A non-positive maximum means nothing supports the answer: no neuron qualifies.
  if (!(attribution.max > 0)) return out;
  const cut = adaptiveThreshold * attribution.max;
  attribution.layers.forEach((layer, i) => {
    const row = attribution.scores[i] as Float32Array;
    for (let index = 0; index < row.length; index++) {
      const score = row[index] as number;
      if (score > cut) out.push({ layer, index, score });
    }
  });
  return out.sort((a, b) => b.score - a.score || a.layer - b.layer || a.index - b.index);
}

/**
 * Neurons present in more than `p` of the prompts' coarse sets (Dai et al.'s refinement), with their mean
 * score over the prompts that selected them; highest first.
 */
export function refineNeurons(perPrompt: readonly (readonly ScoredNeuron[])[], p: number): ScoredNeuron[] {
  if (!(p >= 0 && p <= 1)) throw new InvalidHparamsError('p', `must be in [0, 1], got ${p}`);
  const counts = new Map<string, { neuron: Neuron; count: number; total: number }>();
  for (const set of perPrompt) {
    const seen = new Set<string>();
    for (const n of set) {
      const key = `${n.layer}:${n.index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = counts.get(key) ?? { neuron: { layer: n.layer, index: n.index }, count: 0, total: 0 };
      entry.count += 1;
      entry.total += n.score;
      counts.set(key, entry);
    }
  }
  const needed = p * perPrompt.length;
  return [...counts.values()]
    .filter((entry) => entry.count > needed)
    .map((entry) => ({ ...entry.neuron, score: entry.total / entry.count }))
    .sort((a, b) => b.score - a.score || a.layer - b.layer || a.index - b.index);
}

export interface FindNeuronsOptions extends AttributionOptions {
  adaptiveThreshold: number;
  /** Refine across the prompts (needs at least two); false keeps the first prompt's coarse neurons. */
  refine: boolean;
  /** Share of prompts a refined neuron must appear in (more than). */
  p: number;
}

/** The result of a neuron search. */
export interface KnowledgeNeurons {
  neurons: ScoredNeuron[];
  /** The coarse set of each prompt (one entry without refinement). */
  coarse: ScoredNeuron[][];
  /** Largest attribution of each prompt. */
  maxAttribution: number[];
}

/**
 * Find the knowledge neurons of `target` over the prompts that express a fact: integrated-gradients
 * attribution per prompt, the adaptive threshold, then (when `refine`) the share filter across prompts.
 *
 * @example
 * const { neurons } = findKnowledgeNeurons(model, ['Satyajit Ray speaks'], 'English',
 *   { steps: 20, batchSize: 20, adaptiveThreshold: 0.2, refine: false, p: 0.4 });
 */
export function findKnowledgeNeurons(
  model: CausalLM,
  prompts: readonly string[],
  target: string,
  options: FindNeuronsOptions,
): KnowledgeNeurons {
  if (prompts.length === 0)
    throw new InvalidRequestError('knowledge neurons', 'prompts', 'must not be empty');
  const used = options.refine ? prompts : prompts.slice(0, 1);
  const coarse: ScoredNeuron[][] = [];
  const maxAttribution: number[] = [];
  for (const prompt of used) {
    const attribution = integratedGradients(model, prompt, target, options);
    coarse.push(coarseNeurons(attribution, options.adaptiveThreshold));
    maxAttribution.push(attribution.max);
  }
  const neurons = used.length > 1 ? refineNeurons(coarse, options.p) : (coarse[0] ?? []);
  return { neurons, coarse, maxAttribution };
}
