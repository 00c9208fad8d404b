/**
 * The in-context editing (IKE) text format of EasyEdit (Zheng et al. 2023, "Can We Edit Factual Knowledge
 * by In-Context Learning?"): each demonstration is "New Fact: {fact}\nPrompt: {probe} {answer}", demos are
 * separated by a blank line, and the query ends after "Prompt: {probe}" so the model continues with the
 * answer. The corpus, the IKE method and the in-context probe all format through these functions so that
 * the pretrained model sees exactly the layout it is tested on.
 */

/** A statement prompt and the object that completes it (no leading space on the target). */
export interface IkeFact {
  prompt: string;
  target: string;
}

/** Separator between demonstrations (EasyEdit appends "\n\n" to every demo before concatenating). */
export const IKE_DEMO_SEPARATOR = '\n\n';

function factLine(fact: IkeFact): string {
  return `New Fact: ${fact.prompt} ${fact.target}`;
}

/** One complete demonstration: the new fact, then a probe prompt answered (copy, update or retain). */
export function formatIkeDemo(newFact: IkeFact, probe: IkeFact): string {
  return `${factLine(newFact)}\nPrompt: ${probe.prompt} ${probe.target}`;
}

/** The query for an edit: the new fact, then the probe prompt left open for the model to complete. */
export function formatIkeQuery(newFact: IkeFact, probePrompt: string): string {
  return `${factLine(newFact)}\nPrompt: ${probePrompt}`;
}

/** Demonstrations followed by the query, joined as EasyEdit joins them; the target follows with a space. */
export function formatIkePrompt(demos: readonly string[], newFact: IkeFact, probePrompt: string): string {
  return [...demos, formatIkeQuery(newFact, probePrompt)].join(IKE_DEMO_SEPARATOR);
}
