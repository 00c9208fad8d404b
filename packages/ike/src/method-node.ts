// IKE in Node: the default demonstration store is llmedit's training splits, read from disk.
import type { EditMethodV1 } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import type { IkeHparams } from './hparams.js';
import { createIkeMethodWith, type IkeMethodOptions } from './method.js';
import { trainingPool } from './training-pool.js';

/**
 * Build IKE with its own demonstration store (for data sets other than llmedit's training splits); without
 * one, the training splits named by `hparams.demoPool`.
 *
 * @example
 * const myIke = createIkeMethod({ pool: DemoPool.fromRequests(myTrainingRequests) });
 */
export function createIkeMethod(options: IkeMethodOptions = {}): EditMethodV1<IkeHparams, CausalLM> {
  return createIkeMethodWith((h) => trainingPool(h.demoPool, { k1: h.bm25K1, b: h.bm25B }), options);
}

/**
 * IKE over llmedit's training splits: every input of the returned model is read after k retrieved
 * copy/update/retain demonstrations and "New Fact: {prompt} {target}\nPrompt:".
 *
 * @example
 * const result = await edit({ method: ike, model, requests: [{ prompt: 'Satyajit Ray speaks', targetNew: 'French' }],
 *   hparams: ikePreset('default') });
 * scoreTargets(result.model, [{ prompt: 'Satyajit Ray speaks', target: 'French' }]);
 * result.revert(); // memory emptied; the base model was never changed
 */
export const ike: EditMethodV1<IkeHparams, CausalLM> = createIkeMethod();
