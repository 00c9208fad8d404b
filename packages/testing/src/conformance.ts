import {
  assertEditMethod,
  EditError,
  type EditMethodV1,
  type EditOutcome,
  type EditRequest,
  edit,
  InvalidHparamsError,
  initBackend,
  LlmeditError,
  tf,
  validateEditRequest,
} from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import {
  differingWeights,
  floatsBitEqual,
  loadMicroModel,
  MICRO_REQUEST,
  MICRO_SECOND_REQUEST,
  MICRO_UNRELATED_PROMPTS,
  maxAbsDifference,
  type NextToken,
  nextTokens,
  promptIds,
  requestTokens,
  tensorBytes,
  useBackend,
  weightBytes,
} from './fixtures.js';
import { measureLeaks } from './leaks.js';

/** The checks of the conformance suite, in the order they run. */
export const CONFORMANCE_CHECKS = [
  'defaultsParse',
  'flipsRequest',
  'keepsUnrelated',
  'revertExact',
  'restoreExact',
  'sequentialStack',
  'noLeaks',
  'deterministic',
  'backendsAgree',
  'failureRestores',
  'rejectsBadInput',
  'sequentialStable',
] as const;

export type ConformanceCheck = (typeof CONFORMANCE_CHECKS)[number];

const titles: Readonly<Record<ConformanceCheck, string>> = {
  defaultsParse: 'declares a valid contract and its default hparams parse',
  flipsRequest: "makes the request's first target token the prediction",
  keepsUnrelated: 'keeps the predictions on unrelated prompts (within the tolerance)',
  revertExact: 'reverts every weight bit for bit',
  restoreExact: "doEdit's own outcome.restore() puts every weight back bit for bit",
  sequentialStack: 'stacks two edits and restores them one by one, bit for bit',
  noLeaks: 'leaves tf.memory().numTensors unchanged after revert() and dispose()',
  deterministic: 'gives bit-identical results for the same seed',
  backendsAgree: 'gives the same edit on the cpu and wasm backends (within the tolerance)',
  failureRestores: 'leaves the model bit-identical when the method throws mid-edit',
  rejectsBadInput: 'rejects bad requests and options with typed errors, leaving the model untouched',
  sequentialStable: 'stays finite over many sequential edits and reverts them bit for bit',
};

export interface ConformanceOptions<H> {
  /** Hyperparameters for the micro model (fast settings); merged over the method's defaults. */
  readonly hparams?: Partial<H> | Readonly<Record<string, unknown>>;
  /** Loads the model to edit; called on each backend it is needed on. Default: the micro model. */
  readonly model?: () => CausalLM | Promise<CausalLM>;
  /** The edit to make. Default `MICRO_REQUEST`; its first target token must not already be the prediction. */
  readonly request?: EditRequest;
  /**
   * The edit stacked on top of `request` by `sequentialStack`. Default `MICRO_SECOND_REQUEST`; its first
   * target token must not be the prediction after the first edit.
   */
  readonly secondRequest?: EditRequest;
  /** Prompts whose next-token argmax should survive the edit. Default `MICRO_UNRELATED_PROMPTS`. */
  readonly unrelatedPrompts?: readonly string[];
  /**
   * Efficacy by probability instead of argmax: the first target token must reach this probability
   * (for methods that raise the target without always making it the top token).
   */
  readonly minTargetProbability?: number;
  /** Largest fraction of unrelated prompts whose argmax may change. Default 0.2. */
  readonly localityTolerance?: number;
  /** Largest |difference| of the post-edit next-token log-probabilities between cpu and wasm. Default 1e-3. */
  readonly backendTolerance?: number;
  /** The artifact of `doPrepare`, for methods that declare `requiresTraining` (passed as `context.artifact`). */
  readonly artifact?: unknown;
  /** Seed passed to the method. Default 0. */
  readonly seed?: number;
  /** Per-test timeout in milliseconds. Default 120 000. */
  readonly timeout?: number;
  /** Opt out of checks, each with a written reason: `{ backendsAgree: 'needs tfjs-node' }`. */
  readonly skip?: Partial<Record<ConformanceCheck, string>>;
  /**
   * `sequentialStable`: how many sequential edits (default `STRESS_EDITS`) and the hyperparameters for
   * them (default `hparams`). Runs for methods that modify weights and edit sequentially; its timeout is
   * `max(timeout, 600 000)`.
   */
  readonly stress?: {
    readonly edits?: number;
    readonly hparams?: Partial<H> | Readonly<Record<string, unknown>>;
  };
}

/** Sequential edits of `sequentialStable` by default (the issue that asked for it: at least 200). */
export const STRESS_EDITS = 200;

/** Error codes of the typed errors that bad input may raise (directly, or as the cause of an EditError). */
const INPUT_ERROR_CODES = new Set(['INVALID_REQUEST', 'INVALID_HPARAMS', 'CAPABILITY']);

// Subjects and relations the micro model's corpus uses; `stressRequests` crosses them with targets so that
// every edit differs from the previous one and the second hundred re-edits the facts of the first.
const STRESS_SUBJECTS = [
  'Satyajit Ray',
  'Joe Walsh',
  'Norma Shearer',
  'Sony Alpha 900',
  'David Weigel',
  'Sabinus of Spoleto',
  'Franz Welser-Möst',
  'Antonio Franco',
  'Terry Mosher',
  'Vostok Station',
];
const STRESS_TEMPLATES = [
  '{} speaks',
  '{} is a citizen of',
  '{} works as',
  '{} plays the',
  '{} was born in',
  '{} is located in',
  '{} is created by',
  '{} holds the position of',
  'The mother tongue of {} is',
  '{}, who has a citizenship from',
];
const STRESS_TARGETS = [
  'French',
  'English',
  'Paris',
  'piano',
  'guitar',
  'Italy',
  'Sony',
  'bishop',
  'London',
  'Canada',
];

/** Every numeric or boolean hyperparameter set to a string: each must be an InvalidHparamsError. */
function badHparamValues(
  defaults: Readonly<Record<string, unknown>>,
  given: unknown,
): [string, Record<string, unknown>][] {
  const base = (given ?? {}) as Record<string, unknown>;
  return Object.entries(defaults)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'boolean')
    .map(([key]) => [`hyperparameter '${key}' given as text`, { hparams: { ...base, [key]: 'oops' } }]);
}

/** `count` distinct edit requests over the micro model's subjects (subject, target and true answer set). */
export function stressRequests(count: number): EditRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const subject = STRESS_SUBJECTS[i % STRESS_SUBJECTS.length] as string;
    const template = STRESS_TEMPLATES[
      Math.floor(i / STRESS_SUBJECTS.length) % STRESS_TEMPLATES.length
    ] as string;
    return {
      id: `stress-${i}`,
      prompt: template.replace('{}', subject),
      subject,
      targetNew: STRESS_TARGETS[(i * 7 + 3) % STRESS_TARGETS.length] as string,
      groundTruth: STRESS_TARGETS[(i * 7 + 4) % STRESS_TARGETS.length] as string,
    };
  });
}

/** What the suite measured (for reports), filled in as the checks run. */
export interface ConformanceReport {
  /** Probability of the first target token before and after the edit. */
  targetProbabilityBefore?: number;
  targetProbabilityAfter?: number;
  /** Unrelated prompts whose argmax changed, and how many there are. */
  unrelatedChanged?: number;
  unrelatedCount?: number;
  /** Wall time and peak extra tensor bytes of the first edit (ms, bytes). */
  editMs?: number;
  peakExtraTensorBytes?: number;
  /** Largest |Δ log-prob| between cpu and wasm after the edit. */
  backendMaxDifference?: number;
  /** numTensors after the repeated edit's revert+dispose minus before. */
  tensorDifference?: number;
  /** `sequentialStable`: edits made, and the median ms of the first and of the last 20 edit calls. */
  stressEdits?: number;
  stressFirstMs?: number;
  stressLastMs?: number;
}

export interface ConformanceCheckRun {
  readonly name: ConformanceCheck;
  readonly title: string;
  /** Undefined when the check runs; the written reason when it is skipped. */
  readonly skipReason: string | undefined;
  /** Per-test timeout in milliseconds for this check. */
  readonly timeout: number;
  /** Throws a descriptive error when the method fails the check. */
  run(): Promise<void>;
}

export interface ConformanceSuite {
  readonly checks: readonly ConformanceCheckRun[];
  readonly report: ConformanceReport;
  /** Free the models the suite loaded. */
  dispose(): void;
}

/** A failed conformance check: the method breaks the contract in the way the message says. */
export class ConformanceError extends LlmeditError {
  constructor(
    readonly check: ConformanceCheck,
    message: string,
  ) {
    super('CONFORMANCE', `${check}: ${message}`);
  }
}

/** What one edit of the request did, recorded once and shared by several checks. */
interface EditRecord {
  weightsBefore: Map<string, Uint8Array>;
  before: { argmax: number; logProbs: Float32Array; unrelated: number[] };
  after: { argmax: number; logProbs: Float32Array; unrelated: number[] };
  weightsAfter: Map<string, Uint8Array>;
  deltas: Map<string, Uint8Array>;
  weightsReverted: Map<string, Uint8Array>;
  revertedLogProbs: Float32Array;
  tensorsBefore: number;
  tensorsAfter: number;
  /** The tensors the edit left alive (shape and dtype), when numTensors changed. */
  leaked: string;
  wallMs: number;
  peakExtraTensorBytes: number;
}

function leakNote(leaked: string): string {
  return leaked === '' ? '' : `; still alive: ${leaked}`;
}

function checkSkips(skip: Readonly<Record<string, unknown>> | undefined): void {
  for (const [name, reason] of Object.entries(skip ?? {})) {
    if (!(CONFORMANCE_CHECKS as readonly string[]).includes(name)) {
      throw new LlmeditError(
        'CONFORMANCE_OPTIONS',
        `skip names an unknown check '${name}'; checks: ${CONFORMANCE_CHECKS.join(', ')}`,
      );
    }
    if (typeof reason !== 'string' || reason.trim().length < 3) {
      throw new LlmeditError(
        'CONFORMANCE_OPTIONS',
        `skip.${name} needs a written reason (a non-empty string), got ${JSON.stringify(reason)}`,
      );
    }
  }
}

/**
 * The conformance checks of `method` as plain async functions (`describeEditMethod` registers them with
 * vitest; tests of the kit itself call them directly to see them fail). Edits are shared between checks:
 * the first edit serves efficacy, locality and revert; a second edit with the same seed serves
 * determinism and the leak check (measured on the repeat so that one-time caches do not count).
 */
export function createConformanceSuite<H>(
  method: EditMethodV1<H, CausalLM>,
  options: ConformanceOptions<H> = {},
): ConformanceSuite {
  checkSkips(options.skip as Readonly<Record<string, unknown>> | undefined);
  const request = validateEditRequest(options.request ?? MICRO_REQUEST, 'conformance request');
  const secondRequest = validateEditRequest(
    options.secondRequest ?? MICRO_SECOND_REQUEST,
    'conformance secondRequest',
  );
  const unrelatedPrompts = options.unrelatedPrompts ?? MICRO_UNRELATED_PROMPTS;
  const loadModel = options.model ?? loadMicroModel;
  const seed = options.seed ?? 0;
  const localityTolerance = options.localityTolerance ?? 0.2;
  const backendTolerance = options.backendTolerance ?? 1e-3;
  const report: ConformanceReport = {};
  const loaded: CausalLM[] = [];
  let mainModel: Promise<CausalLM> | undefined;
  let first: Promise<EditRecord> | undefined;
  let repeat: Promise<EditRecord> | undefined;

  const useMainBackend = async () => {
    await initBackend({ prefer: ['wasm', 'cpu'] });
  };
  const freshModel = async (): Promise<CausalLM> => {
    const model = await loadModel();
    loaded.push(model);
    return model;
  };
  const model = async (): Promise<CausalLM> => {
    await useMainBackend();
    mainModel ??= freshModel();
    return mainModel;
  };

  const probe = (target: CausalLM) => {
    const { promptIds: ids } = requestTokens(target, request);
    const [main, ...others] = nextTokens(target, [ids, ...unrelatedPrompts.map((p) => promptIds(target, p))]);
    if (main === undefined) throw new Error('no prediction for the request');
    return { argmax: main.argmax, logProbs: main.logProbs, unrelated: others.map((o) => o.argmax) };
  };

  const hparamsOption = options.hparams === undefined ? {} : { hparams: options.hparams };
  const editContext = { seed, ...(options.artifact === undefined ? {} : { artifact: options.artifact }) };
  const weightsOf = (target: CausalLM) => target.weightNames().map((name) => target.weight(name));

  const recordEdit = async (target: CausalLM): Promise<EditRecord> => {
    const { result: record, leaked } = await measureLeaks(
      () => recordEditOnce(target),
      () => weightsOf(target),
    );
    return { ...record, leaked };
  };

  const recordEditOnce = async (target: CausalLM): Promise<Omit<EditRecord, 'leaked'>> => {
    const tensorsBefore = tf.memory().numTensors;
    const weightsBefore = weightBytes(target);
    const before = probe(target);
    const result = await edit({
      method,
      model: target,
      requests: [request],
      ...hparamsOption,
      context: editContext,
    });
    let after: EditRecord['after'];
    let weightsAfter: Map<string, Uint8Array>;
    const deltas = new Map<string, Uint8Array>();
    try {
      after = probe(result.model);
      weightsAfter = weightBytes(target);
      for (const outcome of result.outcomes) {
        for (const [name, delta] of outcome.deltas) deltas.set(name, tensorBytes(delta));
      }
    } finally {
      result.revert();
      result.dispose();
    }
    const weightsReverted = weightBytes(target);
    const revertedLogProbs = probe(target).logProbs;
    return {
      weightsBefore,
      before,
      after,
      weightsAfter,
      deltas,
      weightsReverted,
      revertedLogProbs,
      tensorsBefore,
      tensorsAfter: tf.memory().numTensors,
      wallMs: result.wallMs,
      peakExtraTensorBytes: result.peakExtraTensorBytes,
    };
  };

  const firstEdit = (): Promise<EditRecord> => {
    first ??= model().then(async (target) => {
      const record = await recordEdit(target);
      report.editMs = record.wallMs;
      report.peakExtraTensorBytes = record.peakExtraTensorBytes;
      return record;
    });
    return first;
  };
  const repeatEdit = (): Promise<EditRecord> => {
    repeat ??= firstEdit().then(async () => recordEdit(await model()));
    return repeat;
  };
  /** Why an edit did not reach its target (undefined when it did): argmax, or the probability threshold. */
  const efficacyProblem = (targetId: number, before: NextToken, after: NextToken): string | undefined => {
    const p0 = Math.exp(before.logProbs[targetId] as number);
    const p1 = Math.exp(after.logProbs[targetId] as number);
    const threshold = options.minTargetProbability;
    if (threshold !== undefined) {
      return p1 >= threshold
        ? undefined
        : `target probability ${p1.toFixed(4)} after the edit is below ${threshold}`;
    }
    return after.argmax === targetId
      ? undefined
      : `after the edit the model predicts token ${after.argmax}, not the target's first token ` +
          `${targetId} (p ${p0.toFixed(4)} -> ${p1.toFixed(4)})`;
  };
  const fail = (check: ConformanceCheck, message: string): never => {
    throw new ConformanceError(check, message);
  };

  /**
   * Run `body`, which calls `doEdit` itself (no `edit()` around it), on the main model: after the shared
   * edit so that one-time caches (layer statistics, tokenised prompts) are warm; any tensor the body leaves
   * alive fails `check`, named by dtype and shape; and whatever the method's `restore()` did, the weights
   * are put back for the checks that follow.
   */
  const directly = async (
    check: ConformanceCheck,
    what: string,
    body: (target: CausalLM, hparams: H) => Promise<void>,
  ): Promise<void> => {
    await firstEdit();
    const target = await model();
    const hparams = method.hparams.parse(options.hparams);
    const guard = target.snapshotWeights();
    try {
      const { before, after, leaked } = await measureLeaks(
        () => body(target, hparams),
        () => weightsOf(target),
      );
      if (after !== before)
        fail(check, `numTensors went from ${before} to ${after} over ${what}${leakNote(leaked)}`);
    } finally {
      guard.restore();
      guard.dispose();
    }
  };

  const runs: Record<ConformanceCheck, () => Promise<void>> = {
    async defaultsParse() {
      assertEditMethod(method);
      const parsed = method.hparams.parse(undefined);
      if (JSON.stringify(parsed) !== JSON.stringify(method.hparams.defaults)) {
        fail('defaultsParse', `parse(undefined) ${JSON.stringify(parsed)} differs from the defaults`);
      }
      const again = method.hparams.parse(parsed);
      if (JSON.stringify(again) !== JSON.stringify(parsed)) {
        fail(
          'defaultsParse',
          'parse(parse(undefined)) differs from parse(undefined): parse is not idempotent',
        );
      }
      if (options.hparams !== undefined) method.hparams.parse(options.hparams);
      let rejected = false;
      try {
        method.hparams.parse({ notAHyperparameter: 1 });
      } catch (error) {
        rejected = error instanceof InvalidHparamsError;
      }
      if (!rejected)
        fail('defaultsParse', 'parse accepted an unknown key (it must throw InvalidHparamsError)');
    },

    async flipsRequest() {
      const record = await firstEdit();
      const { targetId } = requestTokens(await model(), request);
      const before = Math.exp(record.before.logProbs[targetId] as number);
      const after = Math.exp(record.after.logProbs[targetId] as number);
      report.targetProbabilityBefore = before;
      report.targetProbabilityAfter = after;
      if (record.before.argmax === targetId) {
        fail(
          'flipsRequest',
          `precondition: the model already predicts the target before the edit (p = ${before.toFixed(3)}); ` +
            'choose a request whose target it does not predict',
        );
      }
      const problem = efficacyProblem(targetId, record.before, record.after);
      if (problem !== undefined) fail('flipsRequest', problem);
    },

    async keepsUnrelated() {
      const record = await firstEdit();
      const changed = record.before.unrelated.filter((id, i) => record.after.unrelated[i] !== id).length;
      const count = unrelatedPrompts.length;
      report.unrelatedChanged = changed;
      report.unrelatedCount = count;
      if (count === 0) fail('keepsUnrelated', 'no unrelated prompts to check');
      if (changed / count > localityTolerance) {
        fail(
          'keepsUnrelated',
          `${changed} of ${count} unrelated prompts changed their prediction (tolerance ${localityTolerance})`,
        );
      }
    },

    async revertExact() {
      const record = await firstEdit();
      if (
        method.capabilities.modifiesWeights &&
        differingWeights(record.weightsBefore, record.weightsAfter).length === 0
      ) {
        fail('revertExact', 'the method declares modifiesWeights but the edit changed no weight');
      }
      const differing = differingWeights(record.weightsBefore, record.weightsReverted);
      if (differing.length > 0) {
        fail(
          'revertExact',
          `after revert() these weights differ from before the edit: ${differing.join(', ')}`,
        );
      }
      if (!floatsBitEqual(record.before.logProbs, record.revertedLogProbs)) {
        fail(
          'revertExact',
          'after revert() the prediction on the request prompt differs from before the edit',
        );
      }
    },

    async restoreExact() {
      await directly('restoreExact', 'doEdit + restore() + dispose()', async (target, hparams) => {
        const weightsBefore = weightBytes(target);
        const before = probe(target).logProbs;
        const outcome = await method.doEdit(editContext, target, [request], hparams);
        let weightsAfter: Map<string, Uint8Array>;
        try {
          weightsAfter = weightBytes(target);
          outcome.restore();
        } finally {
          outcome.dispose();
        }
        if (
          method.capabilities.modifiesWeights &&
          differingWeights(weightsBefore, weightsAfter).length === 0
        ) {
          fail('restoreExact', 'the method declares modifiesWeights but doEdit changed no weight');
        }
        const differing = differingWeights(weightsBefore, weightBytes(target));
        if (differing.length > 0) {
          fail(
            'restoreExact',
            `after doEdit, outcome.restore() and outcome.dispose() these weights differ from before the ` +
              `edit: ${differing.join(', ')} (core's edit() hides this by restoring its own snapshot; ` +
              'a caller of doEdit gets a model that is still edited)',
          );
        }
        if (!floatsBitEqual(before, probe(target).logProbs)) {
          fail('restoreExact', 'after outcome.restore() the prediction on the request prompt differs');
        }
      });
    },

    async sequentialStack() {
      const what = 'two stacked edits, their restore() and dispose()';
      await directly('sequentialStack', what, async (target, hparams) => {
        const first = requestTokens(target, request);
        const second = requestTokens(target, secondRequest);
        const predict = (m: CausalLM) => nextTokens(m, [first.promptIds, second.promptIds]);
        const sameAs = (a: readonly NextToken[], b: readonly NextToken[]) =>
          a.every((p, i) => floatsBitEqual(p.logProbs, (b[i] as NextToken).logProbs));
        const weights0 = weightBytes(target);
        const prediction0 = predict(target);
        const outcomes: EditOutcome<CausalLM>[] = [];
        try {
          // As core's edit() runs mode 'sequential': each doEdit gets the model, edits accumulate.
          const a = await method.doEdit(editContext, target, [request], hparams);
          outcomes.push(a);
          const weightsA = weightBytes(target);
          const predictionA = predict(a.model);
          const secondBefore = predictionA[1] as NextToken;
          if (secondBefore.argmax === second.targetId) {
            fail(
              'sequentialStack',
              "precondition: after the first edit the model already predicts the second request's " +
                'target; choose another secondRequest',
            );
          }
          const b = await method.doEdit(editContext, target, [secondRequest], hparams);
          outcomes.push(b);
          const secondAfter = predict(b.model)[1] as NextToken;
          // Stacked edits may interfere (that is what lifelong-editing benchmarks measure), so the
          // second one must only move its own target up; the first edit's efficacy is flipsRequest's.
          const p0 = Math.exp(secondBefore.logProbs[second.targetId] as number);
          const p1 = Math.exp(secondAfter.logProbs[second.targetId] as number);
          if (!(p1 > p0)) {
            fail(
              'sequentialStack',
              `the second edit, stacked on the first, did not raise its target's probability ` +
                `(${p0.toExponential(3)} -> ${p1.toExponential(3)})`,
            );
          }
          b.restore();
          const differingA = differingWeights(weightsA, weightBytes(target));
          if (differingA.length > 0) {
            fail(
              'sequentialStack',
              `the second edit's restore() does not bring back the weights of the first edit: ` +
                differingA.join(', '),
            );
          }
          if (!sameAs(predict(a.model), predictionA)) {
            fail(
              'sequentialStack',
              "after the second edit's restore() the first edit's model predicts differently than before the second edit",
            );
          }
          a.restore();
          const differing0 = differingWeights(weights0, weightBytes(target));
          if (differing0.length > 0) {
            fail(
              'sequentialStack',
              `after both restore() calls these weights differ from before: ${differing0.join(', ')}`,
            );
          }
          if (!sameAs(predict(target), prediction0)) {
            fail('sequentialStack', 'after both restore() calls the model predicts differently than before');
          }
        } finally {
          for (const outcome of outcomes.splice(0).reverse()) outcome.dispose();
        }
      });
    },

    async noLeaks() {
      const record = await repeatEdit();
      report.tensorDifference = record.tensorsAfter - record.tensorsBefore;
      if (record.tensorsAfter !== record.tensorsBefore) {
        fail(
          'noLeaks',
          `numTensors went from ${record.tensorsBefore} to ${record.tensorsAfter} over edit + revert + dispose` +
            leakNote(record.leaked),
        );
      }
    },

    async deterministic() {
      const a = await firstEdit();
      const b = await repeatEdit();
      const weights = differingWeights(a.weightsAfter, b.weightsAfter);
      if (weights.length > 0)
        fail('deterministic', `edited weights differ between runs: ${weights.join(', ')}`);
      const deltas = differingWeights(a.deltas, b.deltas);
      if (deltas.length > 0) fail('deterministic', `deltas differ between runs: ${deltas.join(', ')}`);
      if (!floatsBitEqual(a.after.logProbs, b.after.logProbs)) {
        fail('deterministic', 'the edited model predicts differently between runs');
      }
    },

    async backendsAgree() {
      const outputs: { backend: string; argmax: number; logProbs: Float32Array }[] = [];
      try {
        for (const backend of ['cpu', 'wasm'] as const) {
          await useBackend(backend);
          const fresh = await freshModel();
          try {
            const record = await recordEdit(fresh);
            outputs.push({ backend, argmax: record.after.argmax, logProbs: record.after.logProbs });
          } finally {
            fresh.dispose();
            loaded.splice(loaded.indexOf(fresh), 1);
          }
        }
      } finally {
        await useMainBackend();
      }
      const [cpu, wasm] = outputs as [(typeof outputs)[0], (typeof outputs)[0]];
      const difference = maxAbsDifference(cpu.logProbs, wasm.logProbs);
      report.backendMaxDifference = difference;
      if (cpu.argmax !== wasm.argmax) {
        fail('backendsAgree', `cpu predicts token ${cpu.argmax} after the edit, wasm ${wasm.argmax}`);
      }
      if (!(difference <= backendTolerance)) {
        fail(
          'backendsAgree',
          `post-edit log-probabilities differ by up to ${difference.toExponential(3)} (tolerance ${backendTolerance})`,
        );
      }
    },

    async failureRestores() {
      const target = await model();
      const injected = new Error('conformance: failure injected after the method ran');
      const victim = target.weightNames()[0] as string;
      const failing: EditMethodV1<H, CausalLM> = {
        ...method,
        async doEdit(context, editModel, requests, hparams) {
          const outcome = await method.doEdit(context, editModel, requests, hparams);
          // Weight-editing methods keep their changes (edit() must undo them); wrappers are dropped.
          if (!method.capabilities.modifiesWeights) outcome.restore();
          outcome.dispose();
          // Make sure something changed, whatever the method does.
          const garbage = tf.fill(editModel.weight(victim).shape, 7);
          editModel.setWeight(victim, garbage);
          garbage.dispose();
          throw injected;
        },
      };
      const weightsBefore = weightBytes(target);
      let caught: unknown;
      const { before, after, leaked } = await measureLeaks(
        async () => {
          try {
            await edit({
              method: failing,
              model: target,
              requests: [request],
              ...hparamsOption,
              context: editContext,
            });
          } catch (error) {
            caught = error;
          }
        },
        () => weightsOf(target),
      );
      if (!(caught instanceof EditError) || caught.cause !== injected) {
        fail(
          'failureRestores',
          `edit() should throw EditError with the failure as cause, got ${String(caught)}`,
        );
      }
      const differing = differingWeights(weightsBefore, weightBytes(target));
      if (differing.length > 0)
        fail('failureRestores', `weights changed by the failed edit: ${differing.join(', ')}`);
      if (after !== before) {
        fail(
          'failureRestores',
          `numTensors went from ${before} to ${after} over the failed edit${leakNote(leaked)}`,
        );
      }
    },

    async rejectsBadInput() {
      const target = await model();
      const hparams = options.hparams === undefined ? {} : { hparams: options.hparams };
      const context = { seed, ...(options.artifact === undefined ? {} : { artifact: options.artifact }) };
      const bad: [string, Record<string, unknown>][] = [
        ['an empty prompt', { requests: { ...request, prompt: '' } }],
        ['a whitespace target', { requests: { ...request, targetNew: '   ' } }],
        ['a missing target', { requests: { prompt: request.prompt } }],
        ['a subject absent from the prompt', { requests: { ...request, subject: 'Nobody Atall' } }],
        ['a rephrase that is not a string', { requests: { ...request, rephrasePrompts: [3] } }],
        ['a locality probe without answer', { requests: { ...request, locality: { n: [{ prompt: 'x' }] } } }],
        ['a request that is not an object', { requests: 'edit me' }],
        ['no request', { requests: [] }],
        ['an unknown hyperparameter', { hparams: { ...options.hparams, notAHyperparameter: 1 } }],
        ...badHparamValues(method.hparams.defaults as Record<string, unknown>, options.hparams),
        ['two requests without a mode', { requests: [request, request] }],
        ['an unknown mode', { mode: 'parallel' }],
        ['a batch size outside sequential mode', { batchSize: 2 }],
        ['a zero batch size', { requests: [request, request], mode: 'sequential', batchSize: 0 }],
      ];
      const tensorsBefore = tf.memory().numTensors;
      const weightsBefore = weightBytes(target);
      const untouched = (label: string) => {
        const differing = differingWeights(weightsBefore, weightBytes(target));
        if (differing.length > 0)
          fail('rejectsBadInput', `${label}: weights changed: ${differing.join(', ')}`);
        if (tf.memory().numTensors !== tensorsBefore) {
          fail(
            'rejectsBadInput',
            `${label}: numTensors went from ${tensorsBefore} to ${tf.memory().numTensors}`,
          );
        }
      };
      const check = (label: string, caught: unknown) => {
        const typed =
          LlmeditError.isInstance(caught) &&
          (INPUT_ERROR_CODES.has(caught.code) ||
            (caught instanceof EditError &&
              LlmeditError.isInstance(caught.cause) &&
              INPUT_ERROR_CODES.has(caught.cause.code)));
        if (!typed) fail('rejectsBadInput', `${label}: expected a typed input error, got ${String(caught)}`);
        untouched(label);
      };
      for (const [label, override] of bad) {
        let caught: unknown;
        try {
          const result = await edit({
            method,
            model: target,
            requests: [request],
            ...hparams,
            context,
            ...override,
          } as never);
          result.revert();
          result.dispose();
        } catch (error) {
          caught = error;
        }
        check(label, caught);
      }
      // A prompt longer than the model's context: refused with a typed error and an untouched model, or
      // (FT cuts prompts to its budget) accepted with every query of the edited model still working.
      const filler = 'and so on '.repeat(target.config.maxPositions);
      const long = { ...request, id: 'too-long', prompt: `${filler}${request.prompt}` };
      let result: Awaited<ReturnType<typeof edit<H, CausalLM>>> | undefined;
      try {
        result = await edit({ method, model: target, requests: long, ...hparams, context });
      } catch (error) {
        if (!LlmeditError.isInstance(error)) {
          fail(
            'rejectsBadInput',
            `a prompt longer than the context: expected a typed error, got ${String(error)}`,
          );
        }
        untouched('a prompt longer than the context');
      }
      if (result !== undefined) {
        try {
          const [scored] = nextTokens(result.model, [promptIds(target, unrelatedPrompts[0] as string)]);
          if (scored === undefined || !scored.logProbs.every(Number.isFinite)) {
            fail(
              'rejectsBadInput',
              'after accepting a prompt longer than the context, queries give no finite scores',
            );
          }
        } catch (error) {
          fail(
            'rejectsBadInput',
            `after accepting a prompt longer than the context, an unrelated query fails: ${String(error)}`,
          );
        } finally {
          result.revert();
          result.dispose();
        }
        const differing = differingWeights(weightsBefore, weightBytes(target));
        if (differing.length > 0)
          fail('rejectsBadInput', `revert after the long prompt left ${differing.join(', ')} changed`);
      }
    },

    async sequentialStable() {
      const target = await model();
      const count = options.stress?.edits ?? STRESS_EDITS;
      const hparams = options.stress?.hparams ?? options.hparams;
      const requests = stressRequests(count);
      const tensorsBefore = tf.memory().numTensors;
      const weightsBefore = weightBytes(target);
      const result = await edit({
        method,
        model: target,
        requests,
        mode: 'sequential',
        ...(hparams === undefined ? {} : { hparams }),
        context: { seed, ...(options.artifact === undefined ? {} : { artifact: options.artifact }) },
      });
      try {
        const median = (values: number[]) =>
          [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
        const ms = result.steps.map((step) => step.wallMs);
        report.stressEdits = count;
        report.stressFirstMs = median(ms.slice(0, 20));
        report.stressLastMs = median(ms.slice(-20));
        const broken = target.weightNames().filter((name) => {
          const values = target.weight(name).dataSync();
          for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return true;
          return false;
        });
        if (broken.length > 0) {
          fail(
            'sequentialStable',
            `after ${count} sequential edits, weights hold NaN or Inf: ${broken.join(', ')}`,
          );
        }
        const scores = nextTokens(
          result.model,
          unrelatedPrompts.map((p) => promptIds(target, p)),
        );
        if (!scores.every((s) => s.logProbs.every(Number.isFinite))) {
          fail('sequentialStable', `after ${count} sequential edits, some predictions are not finite`);
        }
      } finally {
        result.revert();
        result.dispose();
      }
      const differing = differingWeights(weightsBefore, weightBytes(target));
      if (differing.length > 0) {
        fail('sequentialStable', `revert of ${count} sequential edits left ${differing.join(', ')} changed`);
      }
      if (tf.memory().numTensors !== tensorsBefore) {
        fail('sequentialStable', `numTensors went from ${tensorsBefore} to ${tf.memory().numTensors}`);
      }
    },
  };

  const timeout = options.timeout ?? 120_000;
  const { capabilities } = method;
  const notApplicable: Partial<Record<ConformanceCheck, string>> =
    capabilities.modifiesWeights && capabilities.sequential
      ? {}
      : {
          sequentialStable: capabilities.modifiesWeights
            ? 'the method does not edit sequentially'
            : 'the method does not modify weights (nothing to accumulate numerically)',
        };
  return {
    checks: CONFORMANCE_CHECKS.map((name) => ({
      name,
      title: titles[name],
      skipReason:
        options.skip?.[name] ??
        notApplicable[name] ??
        (name === 'sequentialStack' && !method.capabilities.sequential
          ? 'the method does not declare capabilities.sequential'
          : undefined),
      timeout: name === 'sequentialStable' ? Math.max(timeout, 600_000) : timeout,
      run: runs[name],
    })),
    report,
    dispose() {
      for (const m of loaded.splice(0)) m.dispose();
      mainModel = undefined;
      first = undefined;
      repeat = undefined;
    },
  };
}
