import type { EditMethodV1 } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { afterAll, describe, it } from 'vitest';
import { type ConformanceOptions, type ConformanceReport, createConformanceSuite } from './conformance.js';

/**
 * Register the conformance suite of an editing method with vitest: one test per check (see
 * `CONFORMANCE_CHECKS`), run on the micro model unless `options.model` says otherwise. A check is left out
 * only through `options.skip`, with a written reason that shows in the test name. Returns the report that
 * the checks fill in as they run (efficacy, locality, backend difference, edit time).
 *
 * @example
 * // packages/rome/src/rome.conformance.test.ts
 * describeEditMethod(rome, { hparams: romePreset('micro') });
 * describeEditMethod(ike, { skip: { revertExact: 'in-context: no weights to revert' } });
 */
export function describeEditMethod<H>(
  method: EditMethodV1<H, CausalLM>,
  options: ConformanceOptions<H> = {},
): ConformanceReport {
  const suite = createConformanceSuite(method, options);
  describe(`${method.id} conformance`, () => {
    afterAll(() => suite.dispose());
    for (const check of suite.checks) {
      if (check.skipReason !== undefined) {
        it.skip(`${check.title} [skipped: ${check.skipReason}]`, () => {});
      } else {
        it(check.title, { timeout: check.timeout }, () => check.run());
      }
    }
  });
  return suite.report;
}
