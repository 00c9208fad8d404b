import type { AnyEditMethod, EditOutcome } from '@llmedit/core';

/** One `doEdit` call of a method, as the bench's progress and Table E see it. */
export interface EditCall {
  /** Requests the call edited. */
  requests: number;
  /** Wall-clock ms of the call. */
  wallMs: number;
  /** What the method reported (`EditOutcome.info`). */
  info: EditOutcome['info'];
}

/**
 * Wrap a method so that every `doEdit` call is reported to `onCall` (batch/sequential progress, Table E's
 * per-edit times) and the run stops between calls once `signal` is aborted.
 */
export function observingEditCalls(
  method: AnyEditMethod,
  onCall: (call: EditCall) => void,
  signal: AbortSignal | undefined,
): AnyEditMethod {
  return {
    ...method,
    async doEdit(context, model, requests, hparams) {
      const t0 = performance.now();
      const outcome = await method.doEdit(context, model, requests, hparams);
      onCall({ requests: requests.length, wallMs: performance.now() - t0, info: outcome.info });
      if (signal?.aborted) {
        // edit() never sees this outcome, so undo and free it here.
        outcome.restore();
        outcome.dispose();
        signal.throwIfAborted();
      }
      return outcome;
    },
  };
}
