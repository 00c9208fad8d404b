import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmedit/core';
import { ftL } from '@llmedit/ft';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchMethod } from './bench-method.js';
import { main } from './main.js';
import { sink } from './test-sink.js';

/** FT-L whose edits throw: always, or only on its first call. */
function broken(failures: number) {
  let calls = 0;
  return benchMethod(
    {
      ...ftL,
      async doEdit(...args: Parameters<typeof ftL.doEdit>) {
        calls++;
        if (calls <= failures) throw new Error('layer 17 does not exist (the model has 2 layers)');
        return ftL.doEdit(...args);
      },
    },
    {},
    { hparams: () => ({ numSteps: 1 }) },
  );
}

describe('a method whose every edit fails', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmedit-bench-status-'));
    await initBackend({ prefer: ['wasm'] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (failures: number, out: string) => {
    const stderr = sink();
    const args = ['--model', 'micro', '--datasets', 'zsre', '--n', '2', '--sequential-max', '0'];
    const code = await main([...args, '--out', join(dir, out)], {
      stdout: sink(),
      stderr,
      methods: [broken(failures)],
      evaluation: { zsre: { suites: ['easyedit'] } },
    });
    const results = JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8'));
    return { code, stderr: stderr.text, results };
  };

  it('is reported as failed with the error, not done, and the run exits 1', async () => {
    const { code, stderr, results } = await run(Number.POSITIVE_INFINITY, 'all');
    expect(results.runs).toHaveLength(1);
    expect(results.runs[0]).toMatchObject({
      method: 'ft-l',
      status: 'failed',
      edited: 0,
      failed: 2,
      reason:
        "every edit failed (2 of 2): Edit with 'ft-l' failed (model restored): layer 17 does not exist (the model has 2 layers)",
    });
    expect(code).toBe(1);
    // The progress line says so when it happens, and the summary again at the end.
    expect(stderr).toContain('ft-l on zsre failed: every edit failed (2 of 2)');
    expect(stderr).toMatch(/ft-l on zsre failed: every edit failed .*\n$/);
  });

  it('is done when some edits succeed (the failures are counted in Table C)', async () => {
    const { code, results } = await run(1, 'some');
    expect(results.runs[0]).toMatchObject({ status: 'done', edited: 1, failed: 1 });
    expect(results.runs[0].reason).toBeUndefined();
    expect(code).toBe(0);
  });
});
