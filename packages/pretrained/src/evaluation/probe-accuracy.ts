import { type CausalLM, scoreTargets } from '@llmedit/models';

export interface ProbeAccuracy {
  /** Number of probes scored. */
  count: number;
  /** Teacher-forced top-1 accuracy of the first target token. */
  firstToken: number;
  /** Fraction of probes whose every target token is the teacher-forced argmax. */
  wholeAnswer: number;
  /** Mean per-probe fraction of target tokens that are the argmax (EasyEdit's token accuracy). */
  tokenAccuracy: number;
}

/** Teacher-forced accuracy of a model on `{prompt, target}` probes (joined as `prompt + " " + target`). */
export function probeAccuracy(
  model: CausalLM,
  probes: readonly { prompt: string; target: string }[],
): ProbeAccuracy {
  if (probes.length === 0)
    return { count: 0, firstToken: Number.NaN, wholeAnswer: Number.NaN, tokenAccuracy: Number.NaN };
  const scores = scoreTargets(model, probes);
  let first = 0;
  let whole = 0;
  let tokens = 0;
  for (const score of scores) {
    const hits = score.argmaxIds.map((id, k) => (id === score.targetIds[k] ? 1 : 0));
    first += hits[0] ?? 0;
    whole += hits.every((h) => h === 1) ? 1 : 0;
    tokens += hits.reduce<number>((a, b) => a + b, 0) / hits.length;
  }
  const n = scores.length;
  return { count: n, firstToken: first / n, wholeAnswer: whole / n, tokenAccuracy: tokens / n };
}

/** Accuracy on every named probe set. */
export function probeReport(
  model: CausalLM,
  sets: Readonly<Record<string, readonly { prompt: string; target: string }[]>>,
): Record<string, ProbeAccuracy> {
  const out: Record<string, ProbeAccuracy> = {};
  for (const [name, probes] of Object.entries(sets)) out[name] = probeAccuracy(model, probes);
  return out;
}

/** A Markdown table of a probe report (the model card's table; the evaluate command prints the same). */
export function probeTable(report: Readonly<Record<string, ProbeAccuracy>>): string {
  const lines = [
    '| probe set | n | first-token acc. | whole-answer acc. | token acc. |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [name, r] of Object.entries(report)) {
    lines.push(
      `| ${name} | ${r.count} | ${r.firstToken.toFixed(3)} | ${r.wholeAnswer.toFixed(3)} | ${r.tokenAccuracy.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}
