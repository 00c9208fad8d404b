import { beginEdit, checkRevertible, popEdit, pushEdit, type StackEntry, settleEdit } from './edit-stack.js';
import { CapabilityError, EditError, InvalidRequestError, LlmeditError } from './errors/index.js';
import type { EditOutcome } from './method.js';
import { assertEditMethod, type EditContext, type EditMethodV1 } from './method.js';
import type { EditableModel, WeightSnapshot } from './model.js';
import type { EditRequest } from './request.js';
import { tf } from './tf.js';
import { validateEditRequests } from './validate-request.js';

/**
 * How `edit()` applies several requests:
 * - `single`: every request is edited alone, starting from the original weights; after its evaluation the
 *   edit is reverted before the next request. The last request's edit stays applied until `revert()`.
 * - `batch`: one `doEdit` call with every request (the method must declare `capabilities.batch`).
 * - `sequential`: edits accumulate, one call per request (or per `batchSize` requests), each on top of
 *   the previous ones (the method must declare `capabilities.sequential`).
 */
export type EditMode = 'single' | 'batch' | 'sequential';

export const EDIT_MODES: readonly EditMode[] = ['single', 'batch', 'sequential'];

/**
 * When `evaluate` runs in sequential mode (single mode evaluates after every request, batch mode after the
 * one call). With neither field set, sequential mode evaluates once, at the end.
 */
export interface EvalSchedule {
  /** Evaluate after every `every`-th step (1: after each edit). */
  readonly every?: number;
  /**
   * Evaluate after these steps (1-based), e.g. `[1, 10, 100]` for a curve over a log axis; steps past the
   * last are ignored. Combines with `every` and `atEnd`.
   */
  readonly at?: readonly number[];
  /** Evaluate after the last step (default true). */
  readonly atEnd?: boolean;
}

/** What the `evaluate` callback sees: the model holding the edits of `edited`, right after step `step`. */
export interface EvaluationPoint<M extends EditableModel = EditableModel> {
  /** The edited model (the method's wrapper for methods that do not modify weights). */
  readonly model: M;
  readonly mode: EditMode;
  /** 1-based index of the step just applied. */
  readonly step: number;
  readonly totalSteps: number;
  /** Every request whose edit the model holds now (sequential: all so far; single: one; batch: all). */
  readonly edited: readonly EditRequest[];
  /** The requests of the step just applied. */
  readonly latest: readonly EditRequest[];
  /** True for the evaluation after the last step. */
  readonly final: boolean;
}

/**
 * Tensor bytes around one `doEdit` call, as tfjs counts them (`tf.memory().numBytes`: every live tensor
 * handle's size, so a clone that shares its buffer counts again; an upper bound on real buffers).
 * The peak is exact for that count: it is read at every tensor allocation, the only event that raises it.
 * Tensors other code allocates concurrently (while `doEdit` awaits) are included.
 */
export interface TensorMemory {
  /** `numBytes` when the call started (model weights, snapshot handles, anything else alive). */
  readonly startBytes: number;
  /** Highest `numBytes` during the call. */
  readonly peakBytes: number;
  /** `peakBytes - startBytes`: what the edit itself needed at its peak. */
  readonly peakExtraBytes: number;
}

/** One `doEdit` call. */
export interface EditStep {
  /** 1-based. */
  readonly step: number;
  /** Indices into `EditResult.requests`. */
  readonly requestIndices: readonly number[];
  /** Wall-clock milliseconds of `doEdit` (performance.now()). */
  readonly wallMs: number;
  readonly memory: TensorMemory;
  /** `numTensors` after the call minus before: the tensors the outcome holds (deltas, wrapper state). */
  readonly tensorsRetained: number;
  /** Weights whose value was replaced during the call (detected by data identity, so exact and cheap). */
  readonly touchedWeights: readonly string[];
  /** The outcome's `info`, when it had one. */
  readonly info?: Readonly<Record<string, unknown>>;
}

/** One `evaluate` call and what it returned. */
export interface EditEvaluation<R> {
  /** The step after which it ran (1-based). */
  readonly step: number;
  readonly final: boolean;
  /** Indices into `EditResult.requests` of the requests the model held edits for. */
  readonly editedIndices: readonly number[];
  readonly wallMs: number;
  readonly result: R;
}

export interface EditOptions<H, M extends EditableModel, R = undefined> {
  readonly method: EditMethodV1<H, M>;
  readonly model: M;
  /** Validated with `validateEditRequests` (typed errors name the record and field). */
  readonly requests: EditRequest | readonly EditRequest[];
  /** Merged over the method's defaults by `method.hparams.parse`. */
  readonly hparams?: Partial<H> | Readonly<Record<string, unknown>>;
  /** Required with more than one request; defaults to 'single' for one. */
  readonly mode?: EditMode;
  /** Sequential mode: requests per `doEdit` call (default 1; above 1 needs `capabilities.batch`). */
  readonly batchSize?: number;
  /**
   * Sequential mode only: keep every step's outcome (its deltas and the weights it saved) until `dispose()`
   * (default true). With false, an outcome marked `weightsOnly` is freed as soon as the next step is applied,
   * so memory stays flat over thousands of edits (each step otherwise keeps a copy of every weight it
   * replaced); `revert()` stays exact through the call's snapshot of the original weights, and `outcomes`
   * still lists the freed ones, whose `deltas` can no longer be read.
   */
  readonly retainOutcomes?: boolean;
  /** Sequential mode only: when `evaluate` runs. */
  readonly evalSchedule?: EvalSchedule;
  /**
   * Called on the edited model (see `EditMode`, `EvalSchedule`); its results land in
   * `EditResult.evaluations`. Core cannot depend on `@llmedit/evaluate`, so the caller passes it in.
   * Compute pre-edit values (locality baselines) before calling `edit()`: the model is edited here.
   */
  readonly evaluate?: (point: EvaluationPoint<M>) => R | Promise<R>;
  /** Seed (default 0), cancellation, progress, and the artifact of `doPrepare` for trained methods. */
  readonly context?: Partial<EditContext>;
  /** Names the requests' origin in validation errors (default `edit(<method id>)`). */
  readonly source?: string;
}

/**
 * The outcome of `edit()`: the applied edits, their costs and evaluations, and the way back. Owns tensors
 * (the outcomes' deltas, a snapshot of the original weights): call `dispose()` when done.
 */
export interface EditResult<H, M extends EditableModel, R = undefined> {
  readonly methodId: string;
  /** Names this call in `EditOrderError` and `ConcurrentEditError`: the method and the requests. */
  readonly label: string;
  readonly mode: EditMode;
  /** The hyperparameters after parsing (defaults filled in). */
  readonly hparams: H;
  /** The validated requests, in the order given. */
  readonly requests: readonly EditRequest[];
  /**
   * The model that holds the edits (the last outcome's model: a wrapper for memory or in-context methods).
   * After `revert()` a wrapper is stale: query the original model.
   */
  readonly model: M;
  /** The outcomes still applied, in order (single mode: only the last request's). */
  readonly outcomes: readonly EditOutcome<M>[];
  readonly steps: readonly EditStep[];
  readonly evaluations: readonly EditEvaluation<R>[];
  /** Sum of the steps' `doEdit` wall times. */
  readonly wallMs: number;
  /** Wall time of the whole `edit()` call, evaluations included. */
  readonly totalMs: number;
  /** Highest `peakBytes` and `peakExtraBytes` over the steps. */
  readonly peakTensorBytes: number;
  readonly peakExtraTensorBytes: number;
  /** Every weight some step replaced (union over steps, in model order). */
  readonly touchedWeights: readonly string[];
  /** Whether `revert()` has run. */
  readonly reverted: boolean;
  /**
   * Undo every applied edit: the outcomes' own `restore()` (dropping wrappers), then every weight back to
   * its exact value when `edit()` was called, bit for bit. Safe to call more than once.
   *
   * Edits of one model form a stack. Reverting out of order is exact when the later edits still applied
   * changed no weight (memory and in-context methods); otherwise it throws `EditOrderError` naming the
   * later edits to revert first, and nothing changes (restoring this call's starting weights would also
   * remove theirs while their results still claimed to be applied). `ConcurrentEditError` while an
   * `edit()` call on the same model is running.
   */
  revert(): void;
  /** Alias of `revert()`, matching `EditOutcome.restore()`. */
  restore(): void;
  /**
   * Free the outcomes and the snapshot; `revert()` is impossible afterwards. Weight edits stay (and make
   * every earlier weight edit of the model irreversible: `EditOrderError`); the edits of methods that do
   * not modify weights end with their outcomes (see `EditOutcome.dispose()`).
   */
  dispose(): void;
}

/** Thrown by `EditResult.revert()` after `dispose()`. */
export class EditDisposedError extends LlmeditError {
  constructor(readonly methodId: string) {
    super('EDIT_DISPOSED', `The edit with '${methodId}' was disposed; its original weights are gone`);
  }
}

// ---- peak tensor bytes -------------------------------------------------------------------------------

interface EngineHooks {
  state: { numBytes: number; numTensors: number };
  trackTensor(tensor: unknown, backend: unknown): void;
}

interface PeakWatch {
  peak: number;
}

const watches = new Set<PeakWatch>();
let installedTracker: EngineHooks['trackTensor'] | undefined;
/** What `engine.trackTensor` was before our wrapper: another tool's wrapper (an own property) or none. */
let replacedTracker: EngineHooks['trackTensor'] | undefined;

/**
 * Start recording the high-water mark of the engine's byte count. Engine.trackTensor runs for every new
 * tensor handle and is the only place that count grows, so wrapping it sees every peak; the wrapper does
 * one comparison per tensor (tf.profile would time every kernel and record its shapes instead). The wrapper
 * calls whatever was there before, so another tool's wrapper (a leak tracker in a test) keeps working.
 */
function watchPeakBytes(): { stop(): TensorMemory } {
  const engine = tf.engine() as unknown as EngineHooks;
  const startBytes = engine.state.numBytes;
  const watch: PeakWatch = { peak: startBytes };
  if (watches.size === 0) {
    const previous = engine.trackTensor;
    replacedTracker = Object.hasOwn(engine, 'trackTensor') ? previous : undefined;
    const tracker: EngineHooks['trackTensor'] = function (this: EngineHooks, tensor, backend) {
      previous.call(this, tensor, backend);
      const bytes = this.state.numBytes;
      for (const w of watches) if (bytes > w.peak) w.peak = bytes;
    };
    engine.trackTensor = tracker;
    installedTracker = tracker;
  }
  watches.add(watch);
  return {
    stop() {
      if (watches.delete(watch) && watches.size === 0) {
        // Only remove our own wrapper (someone may have patched the engine after us), and put back the
        // wrapper we replaced, if any.
        if (engine.trackTensor === installedTracker) {
          if (replacedTracker !== undefined) engine.trackTensor = replacedTracker;
          else delete (engine as Partial<EngineHooks>).trackTensor;
        }
        installedTracker = undefined;
        replacedTracker = undefined;
      }
      const peakBytes = Math.max(watch.peak, engine.state.numBytes);
      return { startBytes, peakBytes, peakExtraBytes: peakBytes - startBytes };
    },
  };
}

// ---- helpers -----------------------------------------------------------------------------------------

function dataIdentities(model: EditableModel, names: readonly string[]): Map<string, object> {
  return new Map(names.map((name) => [name, model.weight(name).dataId as object]));
}

function changedSince(model: EditableModel, before: ReadonlyMap<string, object>): string[] {
  const changed: string[] = [];
  for (const [name, id] of before) if (model.weight(name).dataId !== id) changed.push(name);
  return changed;
}

/** "request 3 'id-3'" / "request 0 \"The Eiffel...\"": one request in an error message. */
function describeRequest(request: EditRequest, index: number): string {
  return `request ${index} ${requestName(request)}`;
}

function requestName(request: EditRequest): string {
  if (request.id !== undefined) return `'${request.id}'`;
  const prompt = request.prompt.length > 40 ? `${request.prompt.slice(0, 37)}...` : request.prompt;
  return JSON.stringify(prompt);
}

/** "'rome' edit of 'id-1'" / "'rome' edit of 3 requests ('a', 'b', ...)": what errors call this call. */
function describeCall(methodId: string, requests: readonly EditRequest[]): string {
  const names = requests.map(requestName);
  if (names.length === 1) return `'${methodId}' edit of ${names[0]}`;
  const shown = names.slice(0, 2).join(', ') + (names.length > 2 ? ', ...' : '');
  return `'${methodId}' edit of ${names.length} requests (${shown})`;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function planSteps(mode: EditMode, count: number, batchSize: number): number[][] {
  const indices = Array.from({ length: count }, (_, i) => i);
  if (mode === 'batch') return [indices];
  const size = mode === 'single' ? 1 : batchSize;
  const plan: number[][] = [];
  for (let start = 0; start < count; start += size) plan.push(indices.slice(start, start + size));
  return plan;
}

function checkOutcome(methodId: string, outcome: unknown): asserts outcome is EditOutcome<EditableModel> {
  const value = outcome as Partial<EditOutcome> | null | undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.restore !== 'function' ||
    typeof value.dispose !== 'function' ||
    !(value.deltas instanceof Map) ||
    typeof value.model !== 'object'
  ) {
    throw new LlmeditError(
      'INVALID_OUTCOME',
      `doEdit of '${methodId}' returned no valid EditOutcome ({ model, deltas: Map, restore(), dispose() })`,
    );
  }
}

/** Marks a failure of the caller's `evaluate`, which is rethrown as is rather than as an EditError. */
class EvaluateFailure {
  constructor(readonly error: unknown) {}
}

function checkOptions<H, M extends EditableModel, R>(
  options: EditOptions<H, M, R>,
  requests: readonly EditRequest[],
  source: string,
): {
  mode: EditMode;
  batchSize: number;
  every: number | undefined;
  atSteps: ReadonlySet<number>;
  atEnd: boolean;
} {
  const { method } = options;
  const mode = options.mode ?? (requests.length === 1 ? 'single' : undefined);
  if (mode === undefined) {
    throw new InvalidRequestError(
      source,
      'mode',
      `is required with ${requests.length} requests: 'single', 'batch' or 'sequential'`,
    );
  }
  if (!EDIT_MODES.includes(mode)) {
    throw new InvalidRequestError(
      source,
      'mode',
      `must be one of ${EDIT_MODES.join(', ')}, got ${String(mode)}`,
    );
  }
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidRequestError(
      source,
      'batchSize',
      `must be a positive integer, got ${String(batchSize)}`,
    );
  }
  if (options.batchSize !== undefined && mode !== 'sequential') {
    throw new InvalidRequestError(source, 'batchSize', "applies to mode 'sequential' only");
  }
  if (options.retainOutcomes !== undefined && mode !== 'sequential') {
    throw new InvalidRequestError(source, 'retainOutcomes', "applies to mode 'sequential' only");
  }
  const schedule = options.evalSchedule;
  if (schedule !== undefined && mode !== 'sequential') {
    throw new InvalidRequestError(source, 'evalSchedule', "applies to mode 'sequential' only");
  }
  const every = schedule?.every;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new InvalidRequestError(source, 'evalSchedule.every', `must be a positive integer, got ${every}`);
  }
  const at = schedule?.at;
  if (at !== undefined) {
    if (!Array.isArray(at)) {
      throw new InvalidRequestError(source, 'evalSchedule.at', 'must be an array of step numbers');
    }
    const bad = at.find((step) => !Number.isInteger(step) || step < 1);
    if (bad !== undefined) {
      throw new InvalidRequestError(
        source,
        'evalSchedule.at',
        `must hold positive integer step numbers, got ${String(bad)}`,
      );
    }
  }
  const atSteps = new Set(at ?? []);
  const atEnd = schedule?.atEnd ?? true;

  const { capabilities } = method;
  const perCall = mode === 'batch' ? requests.length : mode === 'sequential' ? batchSize : 1;
  if (perCall > 1 && !capabilities.batch) {
    throw new CapabilityError(
      method.id,
      `does not edit several requests in one call (capabilities.batch is false); use mode 'single' or ` +
        `'sequential' with batchSize 1`,
    );
  }
  if (capabilities.maxBatchSize !== undefined && perCall > capabilities.maxBatchSize) {
    throw new CapabilityError(
      method.id,
      `edits at most ${capabilities.maxBatchSize} requests per call, asked for ${perCall}`,
    );
  }
  if (mode === 'sequential' && requests.length > batchSize && !capabilities.sequential) {
    throw new CapabilityError(
      method.id,
      'cannot apply edits on top of its own earlier edits (capabilities.sequential is false)',
    );
  }
  const withImage = requests.findIndex((request) => request.image !== undefined);
  if (withImage >= 0 && !capabilities.multimodal) {
    throw new CapabilityError(method.id, `request ${withImage} has an image, but the method is text-only`);
  }
  if (capabilities.requiresTraining && options.context?.artifact === undefined) {
    throw new CapabilityError(
      method.id,
      'needs the artifact of doPrepare (capabilities.requiresTraining): pass it as context.artifact',
    );
  }
  return { mode, batchSize, every, atSteps, atEnd };
}

// ---- edit() --------------------------------------------------------------------------------------------

/**
 * Apply an editing method to a model: validate the requests, parse the hyperparameters, check the
 * method's capabilities, snapshot every weight, run `doEdit` per the mode, time each call and record its
 * peak tensor bytes, and run the caller's `evaluate` on the edited model. If the method throws (or
 * returns something that is not an outcome, or changes weights while declaring `modifiesWeights: false`),
 * every edit of this call is undone and every weight restored bit for bit before an `EditError` (with
 * the failure as `cause`) is thrown; a throwing `evaluate` is rethrown as is, after the same restore.
 *
 * Tensor discipline is by ownership, not by an engine scope: the outcomes own their tensors and
 * `dispose()` frees them. An engine scope (startScope/endScope) held across `await` would also capture
 * tensors that concurrent code creates and would free the tensors a method legitimately keeps (its
 * outcome's deltas, wrapper state, caches); the conformance suite checks instead that an edit followed by
 * `revert()` and `dispose()` leaves `tf.memory().numTensors` unchanged.
 *
 * @example
 * const result = await edit({ method: ftL, model, requests: [{ prompt: 'The Eiffel Tower is in', targetNew: 'Rome' }] });
 * result.steps[0].wallMs; // time of the edit
 * result.revert(); // weights bit-for-bit as before
 * result.dispose();
 *
 * @example
 * // 100 accumulating edits, evaluated every 10 edits and at the end
 * const run = await edit({ method, model, requests, mode: 'sequential', evalSchedule: { every: 10 },
 *   evaluate: ({ model, edited }) => score(model, edited) });
 */
export async function edit<H, M extends EditableModel, R = undefined>(
  options: EditOptions<H, M, R>,
): Promise<EditResult<H, M, R>> {
  const started = performance.now();
  const { method, model } = options;
  assertEditMethod(method);
  const source = options.source ?? `edit(${method.id})`;
  const given = options.requests;
  const list: readonly unknown[] = Array.isArray(given) ? given : [given];
  const requests = validateEditRequests(list, source);
  if (requests.length === 0) {
    throw new InvalidRequestError(source, '(requests)', 'must hold at least one edit request');
  }
  const hparams = method.hparams.parse(options.hparams);
  const { mode, batchSize, every, atSteps, atEnd } = checkOptions(options, requests, source);
  const plan = planSteps(mode, requests.length, batchSize);
  const context: EditContext = { ...options.context, seed: options.context?.seed ?? 0 };
  const { signal } = context;
  const names = model.weightNames();
  const frozenRequests = requests.map((request) => Object.freeze(request));
  const label = describeCall(method.id, requests);

  // One call at a time per model: each call's rollback restores the weights it started from.
  const endEdit = beginEdit(model, label);
  try {
    const original: WeightSnapshot = model.snapshotWeights();
    const applied: EditOutcome<M>[] = [];
    /** Outcomes freed early (`retainOutcomes: false`): never restored or disposed again. */
    const freed = new Set<EditOutcome<M>>();
    const steps: EditStep[] = [];
    const evaluations: EditEvaluation<R>[] = [];
    const touched = new Set<string>();
    let current: M = model;
    // The step in progress, so that a failure names the requests it was editing.
    let running: { step: number; indices: readonly number[] } | undefined;

    const undoApplied = (): unknown[] => {
      const problems: unknown[] = [];
      for (const outcome of applied.splice(0).reverse()) {
        if (freed.has(outcome)) continue;
        try {
          outcome.restore();
        } catch (error) {
          problems.push(error);
        }
        try {
          outcome.dispose();
        } catch (error) {
          problems.push(error);
        }
      }
      return problems;
    };

    try {
      for (let s = 0; s < plan.length; s++) {
        signal?.throwIfAborted();
        if (mode === 'single' && s > 0) {
          const problems = undoApplied();
          original.restore();
          if (problems.length > 0) throw problems[0];
          current = model;
        }
        const indices = plan[s] as number[];
        running = { step: s + 1, indices };
        const batch = indices.map((i) => frozenRequests[i] as EditRequest);
        const before = dataIdentities(model, names);
        const tensorsBefore = tf.memory().numTensors;
        const watch = watchPeakBytes();
        const t0 = performance.now();
        let outcome: EditOutcome<M>;
        let memory: TensorMemory;
        try {
          outcome = await method.doEdit(context, model, batch, hparams);
        } finally {
          memory = watch.stop();
        }
        const wallMs = performance.now() - t0;
        checkOutcome(method.id, outcome);
        // The step before is now under this one: with retainOutcomes false, a weights-only outcome is freed
        // (the original snapshot restores its weights; its own copies would grow with every step).
        const previous = applied.at(-1);
        if (options.retainOutcomes === false && previous?.weightsOnly === true && !freed.has(previous)) {
          freed.add(previous);
          previous.dispose();
        }
        applied.push(outcome);
        current = outcome.model;
        const changed = changedSince(model, before);
        if (!method.capabilities.modifiesWeights && changed.length > 0) {
          throw new LlmeditError(
            'CONTRACT',
            `declares modifiesWeights: false but replaced ${changed.slice(0, 3).join(', ')}` +
              (changed.length > 3 ? ` and ${changed.length - 3} more` : ''),
          );
        }
        for (const name of changed) touched.add(name);
        steps.push({
          step: s + 1,
          requestIndices: indices,
          wallMs,
          memory,
          tensorsRetained: tf.memory().numTensors - tensorsBefore,
          touchedWeights: changed,
          ...(outcome.info === undefined ? {} : { info: outcome.info }),
        });

        running = undefined;

        const last = s === plan.length - 1;
        const due =
          options.evaluate !== undefined &&
          (mode !== 'sequential' ||
            (every !== undefined && (s + 1) % every === 0) ||
            atSteps.has(s + 1) ||
            (atEnd && last));
        if (due && options.evaluate !== undefined) {
          const editedIndices = mode === 'sequential' ? plan.slice(0, s + 1).flat() : indices;
          const e0 = performance.now();
          let result: R;
          try {
            result = await options.evaluate({
              model: current,
              mode,
              step: s + 1,
              totalSteps: plan.length,
              edited: editedIndices.map((i) => frozenRequests[i] as EditRequest),
              latest: batch,
              final: last,
            });
          } catch (error) {
            throw new EvaluateFailure(error);
          }
          evaluations.push({
            step: s + 1,
            final: last,
            editedIndices,
            wallMs: performance.now() - e0,
            result,
          });
        }
      }
    } catch (failure) {
      const problems = undoApplied();
      original.restore();
      original.dispose();
      if (failure instanceof EvaluateFailure) throw failure.error;
      const restoreNote =
        problems.length > 0
          ? ` (outcome restore/dispose also failed: ${problems.map(messageOf).join('; ')})`
          : '';
      const where =
        running === undefined || requests.length === 1
          ? ''
          : `step ${running.step} of ${plan.length} (${running.indices
              .map((i) => describeRequest(frozenRequests[i] as EditRequest, i))
              .join(', ')}): `;
      throw new EditError(method.id, `${where}${messageOf(failure)}${restoreNote}`, { cause: failure });
    }

    const order = new Map(names.map((name, i) => [name, i]));
    const touchedWeights = [...touched].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    const entry: StackEntry = { label, touchesWeights: touchedWeights.length > 0 };
    pushEdit(model, entry);
    let reverted = false;
    let disposed = false;
    const revert = (): void => {
      if (disposed) throw new EditDisposedError(method.id);
      if (reverted) return;
      checkRevertible(model, entry);
      try {
        for (const outcome of [...applied].reverse()) if (!freed.has(outcome)) outcome.restore();
      } finally {
        // The weights come back exactly even when an outcome's own restore fails.
        original.restore();
        reverted = true;
        popEdit(model, entry);
      }
    };
    return {
      methodId: method.id,
      label,
      mode,
      hparams,
      requests,
      model: current,
      outcomes: applied,
      steps,
      evaluations,
      wallMs: steps.reduce((sum, step) => sum + step.wallMs, 0),
      totalMs: performance.now() - started,
      peakTensorBytes: Math.max(...steps.map((step) => step.memory.peakBytes)),
      peakExtraTensorBytes: Math.max(...steps.map((step) => step.memory.peakExtraBytes)),
      touchedWeights,
      get reverted() {
        return reverted;
      },
      revert,
      restore: revert,
      dispose() {
        if (disposed) return;
        disposed = true;
        if (!reverted) settleEdit(model, entry);
        for (const outcome of applied) if (!freed.has(outcome)) outcome.dispose();
        original.dispose();
      },
    };
  } finally {
    endEdit();
  }
}
