import { LlmeditError } from './llmedit-error.js';

export { LlmeditError };

type Cause = { cause?: unknown };

/** No requested tensor backend could be initialised. */
export class BackendUnavailableError extends LlmeditError {
  constructor(
    readonly tried: readonly { backend: string; reason: string }[],
    options?: Cause,
  ) {
    super(
      'BACKEND_UNAVAILABLE',
      `No tensor backend could be started. Tried: ${tried.map((t) => `${t.backend} (${t.reason})`).join('; ')}`,
      options,
    );
  }
}

/** A method id is not in the registry. The message lists the known ids. */
export class UnknownMethodError extends LlmeditError {
  constructor(
    readonly methodId: string,
    readonly known: readonly string[],
  ) {
    super(
      'UNKNOWN_METHOD',
      `Unknown editing method '${methodId}'. Known methods: ${known.join(', ') || '(none)'}`,
    );
  }
}

/** Hyperparameters failed validation; `field` names the offending key. */
export class InvalidHparamsError extends LlmeditError {
  constructor(
    readonly field: string,
    message: string,
    options?: Cause,
  ) {
    super('INVALID_HPARAMS', `Invalid hyperparameter '${field}': ${message}`, options);
  }
}

/** An edit request (or a dataset record) is malformed; names the record and the field. */
export class InvalidRequestError extends LlmeditError {
  constructor(
    readonly record: string,
    readonly field: string,
    message: string,
    options?: Cause,
  ) {
    super('INVALID_REQUEST', `${record}: field '${field}' ${message}`, options);
  }
}

/** The model's architecture or configuration is not supported by a loader or method. */
export class UnsupportedModelError extends LlmeditError {
  constructor(message: string, options?: Cause) {
    super('UNSUPPORTED_MODEL', message, options);
  }
}

/** A tensor had the wrong shape. */
export class ShapeMismatchError extends LlmeditError {
  constructor(
    readonly what: string,
    readonly expected: readonly number[],
    readonly actual: readonly number[],
  ) {
    super('SHAPE_MISMATCH', `${what}: expected shape [${expected.join(', ')}], got [${actual.join(', ')}]`);
  }
}

/** A method was asked for something its declared capabilities exclude (for example a batch edit). */
export class CapabilityError extends LlmeditError {
  constructor(
    readonly methodId: string,
    message: string,
  ) {
    super('CAPABILITY', `Method '${methodId}': ${message}`);
  }
}

/** A checkpoint file (safetensors, config.json, index) is corrupt, truncated or inconsistent. */
export class CheckpointError extends LlmeditError {
  constructor(
    readonly file: string,
    message: string,
    readonly tensor?: string,
    options?: Cause,
  ) {
    super('CHECKPOINT', `${file}${tensor === undefined ? '' : ` [tensor '${tensor}']`}: ${message}`, options);
  }
}

/** A tokenizer file is malformed or uses a feature we do not implement. */
export class TokenizerError extends LlmeditError {
  constructor(message: string, options?: Cause) {
    super('TOKENIZER', message, options);
  }
}

/** An edit failed; the model has been restored to its exact pre-edit weights. `cause` holds the failure. */
export class EditError extends LlmeditError {
  constructor(
    readonly methodId: string,
    message: string,
    options?: Cause,
  ) {
    super('EDIT_FAILED', `Edit with '${methodId}' failed (model restored): ${message}`, options);
  }
}

/** A hook location or weight name does not exist in the model. */
export class UnknownLocationError extends LlmeditError {
  constructor(message: string) {
    super('UNKNOWN_LOCATION', message);
  }
}

/**
 * No hyperparameter preset of a method fits the model; pass the method's hyperparameters explicitly.
 * `options.shape` describes the model (e.g. 'gpt2, 12 layers, hidden 768') and `options.remedy` replaces the
 * generic advice with the caller's own (a CLI names its flags).
 */
export class MissingPresetError extends LlmeditError {
  constructor(
    readonly methodId: string,
    readonly model: string,
    readonly known: readonly string[],
    options: { shape?: string; remedy?: string } = {},
  ) {
    super(
      'MISSING_PRESET',
      `Method '${methodId}' has no hyperparameter preset for model '${model}'` +
        `${options.shape === undefined ? '' : ` (${options.shape})`} ` +
        `(presets: ${known.join(', ') || '(none)'}); ${options.remedy ?? 'pass its hyperparameters explicitly'}`,
    );
  }
}

/** What a worker thread posts back for an error: plain data that crosses the message channel (name, code, message). */
export interface PostedError {
  name: string;
  code?: string;
  message: string;
}

/** `error` as a `PostedError`, keeping the `LlmeditError` code so the parent can rethrow it typed. */
export function postedError(error: unknown): PostedError {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    name: e.name,
    message: e.message,
    ...(LlmeditError.isInstance(error) ? { code: error.code } : {}),
  };
}
