import { LlmeditError } from './errors/index.js';
import type { EditableModel } from './model.js';
import type { EditRequest } from './request.js';
import type { Tensor } from './tf.js';

/**
 * What a method can do. Methods declare these themselves; core checks a call against them before running it
 * (a batch of 3 requests to a method with `batch: false` is a `CapabilityError`, not a silent loop).
 */
export interface EditCapabilities {
  /** Accepts more than one request per `doEdit` call. */
  readonly batch: boolean;
  /** Can be applied again on top of its own earlier edits (lifelong / sequential editing). */
  readonly sequential: boolean;
  /** Understands `EditRequest.image`. */
  readonly multimodal: boolean;
  /** Needs `doPrepare` (a trained hypernetwork, classifier, ...) before it can edit. */
  readonly requiresTraining: boolean;
  /** Changes weights in place (false for in-context and memory-based methods, which return a wrapper). */
  readonly modifiesWeights: boolean;
  /** Largest batch one `doEdit` call accepts, when `batch` is true and there is a limit. */
  readonly maxBatchSize?: number;
}

/**
 * How a method's hyperparameters are defaulted and validated. Build one with `defineHparams`.
 *
 * @example
 * const spec: HparamsSpec<{ lr: number }> = defineHparams({ lr: 0.5 }, { lr: field.number({ min: 0 }) });
 * spec.parse({ lr: 0.1 }); // { lr: 0.1 }
 */
export interface HparamsSpec<H> {
  /** The values used for every key the input leaves out. */
  readonly defaults: H;
  /** Merge `input` over the defaults and validate; throws `InvalidHparamsError` naming the offending key. */
  parse(input: unknown): H;
}

/** A progress report: `stage` names the phase ('compute-v', 'layer 3/5', ...), `fraction` is in [0, 1]. */
export interface EditProgress {
  readonly stage: string;
  readonly fraction: number;
}

/** What `doPrepare` gets: the seed (runs must be reproducible), cancellation and progress reporting. */
export interface PrepareContext {
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EditProgress) => void;
}

/** What `doEdit` gets: the `PrepareContext` plus the artifact `doPrepare` returned, for trained methods. */
export interface EditContext extends PrepareContext {
  readonly artifact?: unknown;
}

/**
 * The result of one `doEdit` call. The outcome owns its tensors: `dispose()` frees them.
 *
 * @example
 * const outcome = await rome.doEdit(context, model, [request], hparams);
 * outcome.restore(); // the model's weights are bit-for-bit what they were before the edit
 * outcome.dispose();
 */
export interface EditOutcome<M extends EditableModel = EditableModel> {
  /** The edited model: the same object for weight-editing methods, a wrapper for memory- or ICL-based ones. */
  readonly model: M;
  /** Weight name -> the change added to that weight (empty for methods that do not modify weights). */
  readonly deltas: ReadonlyMap<string, Tensor>;
  /** Undo the edit: weights bit-for-bit as before, wrappers dropped. Safe to call more than once. */
  restore(): void;
  /**
   * Free the deltas and any saved state. A weight edit stays in the weights; call `restore()` first to
   * undo it. An edit held outside the weights (a memory or context of a wrapper, `modifiesWeights: false`)
   * ends here: nothing could revert it afterwards, so it must not outlive its outcome.
   */
  dispose(): void;
  /** Method-specific diagnostics (loss curve, update norms, ...): JSON-serialisable. */
  readonly info?: Readonly<Record<string, unknown>>;
  /**
   * True when the edit lives in the model's weights alone and `restore()` only writes them back (no wrapper,
   * added neurons or other state). A sequential `edit()` with `retainOutcomes: false` then frees the outcome
   * once the next edit is applied: the call's snapshot of the original weights restores them anyway.
   */
  readonly weightsOnly?: boolean;
}

/**
 * Version 1 of the editing-method contract. A method is a plain object; `defineEditMethod` only checks it
 * and keeps its types. Users do not call `doEdit` directly: core's `edit()` parses the hparams, checks the
 * capabilities, snapshots weights, scopes tensors and turns failures into typed errors around it.
 *
 * @example
 * export const noop = defineEditMethod<{}>({
 *   specificationVersion: 'v1',
 *   id: 'noop',
 *   displayName: 'No-op',
 *   capabilities: { batch: true, sequential: true, multimodal: false, requiresTraining: false, modifiesWeights: false },
 *   hparams: defineHparams({}, {}),
 *   async doEdit(_context, model) {
 *     return { model, deltas: new Map(), restore() {}, dispose() {} };
 *   },
 * });
 */
export interface EditMethodV1<H, M extends EditableModel = EditableModel> {
  readonly specificationVersion: 'v1';
  /** kebab-case, unique in a registry: 'rome', 'ft-l', 'r-rome'. */
  readonly id: string;
  readonly displayName: string;
  /** Citation or URL of the paper the method implements. */
  readonly paper?: string;
  readonly capabilities: EditCapabilities;
  readonly hparams: HparamsSpec<H>;
  /** Train what the method needs before editing; the returned artifact must be JSON-serialisable. */
  doPrepare?(
    context: PrepareContext,
    model: M,
    trainingRequests: readonly EditRequest[],
    hparams: H,
  ): Promise<unknown>;
  doEdit(
    context: EditContext,
    model: M,
    requests: readonly EditRequest[],
    hparams: H,
  ): Promise<EditOutcome<M>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds methods whose hparams and model types differ.
export type AnyEditMethod = EditMethodV1<any, any>;

/** The hyperparameter type of a method: `HparamsOf<typeof rome>`. */
export type HparamsOf<T> = T extends EditMethodV1<infer H, infer _M> ? H : never;

/** A method object does not satisfy the contract (bad id, wrong version, missing `doEdit`, ...). */
export class InvalidMethodError extends LlmeditError {
  constructor(
    readonly methodId: string,
    message: string,
  ) {
    super('INVALID_METHOD', `Invalid editing method '${methodId}': ${message}`);
  }
}

const kebabCase = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** True for ids like 'rome', 'ft-l', 'r-rome', 'memit-fe'. */
export function isKebabCase(id: string): boolean {
  return kebabCase.test(id);
}

const capabilityFlags = ['batch', 'sequential', 'multimodal', 'requiresTraining', 'modifiesWeights'] as const;

/**
 * Throw `InvalidMethodError` unless `value` satisfies `EditMethodV1` at run time (JavaScript callers and
 * third-party packages can hand over anything).
 */
export function assertEditMethod(value: unknown): asserts value is AnyEditMethod {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidMethodError(String(value), 'expected an object implementing EditMethodV1');
  }
  const method = value as Record<string, unknown>;
  const id = typeof method.id === 'string' ? method.id : String(method.id);
  const fail = (message: string): never => {
    throw new InvalidMethodError(id, message);
  };
  if (method.specificationVersion !== 'v1') {
    fail(`specificationVersion must be 'v1', got ${JSON.stringify(method.specificationVersion)}`);
  }
  if (typeof method.id !== 'string' || !isKebabCase(method.id)) {
    fail("id must be a kebab-case string such as 'rome' or 'ft-l'");
  }
  if (typeof method.displayName !== 'string' || method.displayName.trim() === '') {
    fail('displayName must be a non-empty string');
  }
  const capabilities = method.capabilities as Record<string, unknown> | undefined;
  if (typeof capabilities !== 'object' || capabilities === null) fail('capabilities must be an object');
  for (const flag of capabilityFlags) {
    if (typeof capabilities?.[flag] !== 'boolean') fail(`capabilities.${flag} must be a boolean`);
  }
  const maxBatchSize = capabilities?.maxBatchSize;
  if (maxBatchSize !== undefined) {
    if (typeof maxBatchSize !== 'number' || !Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      fail('capabilities.maxBatchSize must be a positive integer');
    }
    if (capabilities?.batch === false && maxBatchSize !== 1) {
      fail('capabilities.maxBatchSize must be 1 (or absent) when capabilities.batch is false');
    }
  }
  const hparams = method.hparams as Record<string, unknown> | undefined;
  if (typeof hparams !== 'object' || hparams === null || typeof hparams.parse !== 'function') {
    fail('hparams must be an HparamsSpec with defaults and parse() (see defineHparams)');
  }
  if (typeof method.doEdit !== 'function') fail('doEdit must be a function');
  if (method.doPrepare !== undefined && typeof method.doPrepare !== 'function') {
    fail('doPrepare must be a function when present');
  }
  if (capabilities?.requiresTraining === true && method.doPrepare === undefined) {
    fail('capabilities.requiresTraining is true but doPrepare is missing');
  }
}

/**
 * Declare an editing method. Adds nothing at run time beyond checking the object (kebab-case id, version
 * 'v1', capability flags), so a plain object typechecks against the contract and mistakes surface at import.
 *
 * @example
 * export const rome = defineEditMethod<RomeHparams, CausalLm>({ specificationVersion: 'v1', id: 'rome', ... });
 */
export function defineEditMethod<H, M extends EditableModel = EditableModel>(
  method: EditMethodV1<H, M>,
): EditMethodV1<H, M> {
  assertEditMethod(method);
  return method;
}
