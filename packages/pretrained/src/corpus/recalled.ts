/**
 * Turns EasyEdit's portability "Recalled Relation" triples ('(Philadelphia, known for, cheesesteaks)') into
 * a plain sentence, so the model knows the one-hop fact that the portability question later chains onto.
 */

export interface Triple {
  subject: string;
  relation: string;
  object: string;
}

/** Parses '(s, r, o)'. The object may itself contain commas, the subject and relation may not. */
export function parseRecalledRelation(text: string): Triple | undefined {
  const m = /^\(\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*(.+?)\s*\)$/.exec(text.trim());
  if (m === null) return undefined;
  const [, subject, relation, object] = m;
  if (subject === undefined || relation === undefined || object === undefined) return undefined;
  return { subject, relation, object };
}

const LINKING_VERB = /^(is|are|was|were|has|have|had)\b/i;
const ENDS_WITH_PREPOSITION = /\b(in|of|by|for|from|to|with|on|as|at|between|into|about|after|under)$/i;
// Relation heads that are finite verbs ('plays in', 'starred in'): no 'is' before them.
const FINITE_VERB = /^(starred|originated|played|won|lived|worked|served|died|flows|borders|\w+s)$/;
const NOT_A_VERB = /^(famous|various|previous|headquarters|is|has|was)$/;

/**
 * 'X known for Y' reads as 'X is known for Y'; 'X plays in Y' stays; a bare noun relation ('capital',
 * 'highest peak') reads as 'The capital of X is Y'; a one-word past verb ('directed') stays.
 */
export function recalledRelationSentence(triple: Triple): string {
  const { subject, relation, object } = triple;
  if (LINKING_VERB.test(relation)) return `${subject} ${relation} ${object}`;
  const head = relation.split(' ')[0] ?? '';
  if (ENDS_WITH_PREPOSITION.test(relation)) {
    const finite = FINITE_VERB.test(head) && !NOT_A_VERB.test(head);
    return finite ? `${subject} ${relation} ${object}` : `${subject} is ${relation} ${object}`;
  }
  if (!relation.includes(' ') && /ed$/.test(relation)) return `${subject} ${relation} ${object}`;
  return `The ${relation} of ${subject} is ${object}`;
}
