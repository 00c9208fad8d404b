// Rank correlations: Spearman's rho (Pearson correlation of mid-ranks) and Kendall's tau-b (Kendall 1945,
// "The treatment of ties in ranking problems"), both tie-aware, for comparing method rankings.

/**
 * Ranks 1..n in ascending order of `values`; tied values share the mean of the ranks they span
 * ([10, 20, 20, 30] -> [1, 2.5, 2.5, 4]).
 */
export function midRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[start]!]) end++;
    // Positions start..end (0-based) hold ranks start+1..end+1; their mean is (start+end)/2 + 1.
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!] = rank;
    start = end + 1;
  }
  return ranks;
}

function checkPaired(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length)
    throw new RangeError(`paired samples differ in length (${x.length} vs ${y.length})`);
  if ([...x, ...y].some((v) => !Number.isFinite(v)))
    throw new RangeError('rank statistics need finite values');
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // A constant sample has no ranking to agree with.
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rank correlation: the Pearson correlation of the mid-ranks, which is the tie-correct form
 * (the 1 - 6 sum d^2 / (n(n^2 - 1)) shortcut is exact only without ties). NaN for fewer than 2 pairs or a
 * constant sample.
 */
export function spearmanRho(x: readonly number[], y: readonly number[]): number {
  checkPaired(x, y);
  if (x.length < 2) return Number.NaN;
  return pearson(midRanks(x), midRanks(y));
}

/**
 * Kendall's tau-b: (concordant - discordant) / sqrt((n0 - n1)(n0 - n2)) with n0 = n(n-1)/2 and n1, n2 the
 * pairs tied in x and in y. Pairs tied in either sample count as neither concordant nor discordant.
 * NaN for fewer than 2 pairs or a constant sample. O(n^2), fine for a handful of methods.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  checkPaired(x, y);
  const n = x.length;
  if (n < 2) return Number.NaN;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx === 0 || dy === 0) continue;
      if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((n0 - tiedX) * (n0 - tiedY));
  if (denominator === 0) return Number.NaN;
  return (concordant - discordant) / denominator;
}

/** Rank agreement of two columns over the keys present (finite) in both. */
export interface RankAgreement {
  /** The keys compared, in the order of `ours`. */
  keys: string[];
  rho: number;
  tauB: number;
}

/** Spearman and Kendall tau-b between two keyed columns, over the keys with a finite value in both. */
export function rankAgreement(
  ours: ReadonlyMap<string, number>,
  published: ReadonlyMap<string, number>,
): RankAgreement {
  const keys = [...ours.keys()].filter(
    (k) => Number.isFinite(ours.get(k)) && Number.isFinite(published.get(k)),
  );
  const x = keys.map((k) => ours.get(k)!);
  const y = keys.map((k) => published.get(k)!);
  return { keys, rho: spearmanRho(x, y), tauB: kendallTauB(x, y) };
}
