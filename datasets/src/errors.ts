import { LlmeditError } from '@llmedit/core';

/**
 * A dataset file or split cannot be used as a whole (unreadable file, invalid JSON, a split id missing from
 * its source). Malformed records raise core's InvalidRequestError instead.
 */
export class DatasetError extends LlmeditError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('DATASET', `${file}: ${message}`, options);
  }
}
