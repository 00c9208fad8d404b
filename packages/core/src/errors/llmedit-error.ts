const marker = Symbol.for('llmedit.error');

/**
 * Base of every error llmedit throws on purpose. `code` is stable across versions (match on it, not on the
 * message); `cause` keeps the underlying error. `isInstance` works across duplicated package copies, where
 * `instanceof` does not.
 */
export class LlmeditError extends Error {
  readonly [marker] = true;
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  static isInstance(error: unknown): error is LlmeditError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
