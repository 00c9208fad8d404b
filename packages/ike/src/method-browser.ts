// IKE where there is no file system (a browser): no default demonstration store, since llmedit's training
// splits are dataset files on disk. Pass `createIkeMethod({ pool })`, or set `k` to 0 (the fact alone).
import { type EditMethodV1, InvalidHparamsError } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import type { IkeHparams } from './hparams.js';
import { createIkeMethodWith, type IkeMethodOptions } from './method.js';

/**
 * Build IKE with its own demonstration store. In a browser there is no default store: an edit that
 * retrieves demonstrations (`k` > 0) without `options.pool` throws an InvalidHparamsError.
 *
 * @example
 * const myIke = createIkeMethod({ pool: DemoPool.fromRequests(myTrainingRequests) });
 */
export function createIkeMethod(options: IkeMethodOptions = {}): EditMethodV1<IkeHparams, CausalLM> {
  return createIkeMethodWith(() => {
    throw new InvalidHparamsError(
      'demoPool',
      "llmedit's training splits are read from disk, which this runtime cannot: pass createIkeMethod({ pool }) " +
        'or set k to 0',
    );
  }, options);
}

/** IKE with no default demonstration store (see `createIkeMethod`); Node's `ike` uses the training splits. */
export const ike: EditMethodV1<IkeHparams, CausalLM> = createIkeMethod();
