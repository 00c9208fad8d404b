import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmedit/core';
import { saveModel } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { romePresets } from '@llmedit/rome';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags } from './flags.js';
import { AUTO_TRACE_FACTS, layersBelow, peakLayer, traceEditLayer } from './layers-auto.js';
import { main } from './main.js';
import { sink } from './test-sink.js';

describe('--layers auto', () => {
  let dir: string;
  let folder: string;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    dir = mkdtempSync(join(tmpdir(), 'llmedit-bench-layers-'));
    // A user's checkpoint folder that no preset fits: the micro model's weights (2 layers, hidden 32).
    folder = join(dir, 'tiny-gpt2');
    const micro = loadPretrained('micro');
    await saveModel(micro, folder);
    micro.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('peaks at the largest indirect effect, never at the last layer (whose effect is 0 by construction)', () => {
    expect(peakLayer([0.01, 0.05, 0.02, 0])).toBe(1);
    expect(peakLayer([0.01, 0.02, 0.03, 0])).toBe(2);
    expect(peakLayer([-0.01, -0.002, 0])).toBe(1);
    expect(peakLayer([-0.007, 0])).toBe(0);
    expect(peakLayer([0])).toBe(0);
  });

  it('takes the peak layer and the ones below it, as many as the preset edits, never below layer 0', () => {
    expect(layersBelow(17, 1)).toEqual([17]);
    expect(layersBelow(17, 5)).toEqual([13, 14, 15, 16, 17]);
    expect(layersBelow(2, 5)).toEqual([0, 1, 2]);
    expect(layersBelow(0, 5)).toEqual([0]);
  });

  it('is a flag that takes only auto, and names the output folder', () => {
    expect(parseFlags(['--layers', 'auto']).layersAuto).toBe(true);
    expect(parseFlags([]).layersAuto).toBe(false);
    expect(() => parseFlags(['--layers', '5'])).toThrow("--layers takes 'auto'");
    expect(parseFlags(['--methods', 'rome', '--layers=auto'], dir).out).toMatch(/rome\.layers-auto$/);
  });

  it('picks the layer with the highest MLP indirect effect at the last subject token of facts the model knows', () => {
    const model = loadPretrained('micro');
    try {
      const trace = traceEditLayer(model, { seed: 1 });
      expect(trace.facts.length).toBeGreaterThan(0);
      expect(trace.facts.length).toBeLessThanOrEqual(AUTO_TRACE_FACTS);
      expect(trace.indirectEffect).toHaveLength(model.config.numLayers);
      // The last layer is no candidate (its MLP at a subject token cannot reach the prediction: effect 0).
      expect(trace.indirectEffect.at(-1)).toBe(0);
      const candidates = trace.indirectEffect.slice(0, -1);
      expect(trace.peak).toBeLessThan(model.config.numLayers - 1);
      expect(trace.indirectEffect[trace.peak]).toBe(Math.max(...candidates));
      // The same seed traces the same facts with the same noise.
      expect(traceEditLayer(model, { seed: 1 }).indirectEffect).toEqual(trace.indirectEffect);
    } finally {
      model.dispose();
    }
  });

  it('runs ROME on a folder without a preset at the traced layer and records it in results.json', async () => {
    const run = async (extra: string[], out: string) => {
      const stdout = sink();
      const stderr = sink();
      const code = await main(
        [
          '--model',
          folder,
          '--methods',
          'rome',
          '--datasets',
          'zsre',
          '--n',
          '1',
          '--out',
          join(dir, out),
          '--sequential-max',
          '0',
          ...extra,
        ],
        { stdout, stderr, evaluation: { zsre: { suites: ['easyedit'] } } },
      );
      return {
        code,
        stdout: stdout.text,
        stderr: stderr.text,
        results: JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8')),
      };
    };

    // Without the flag: the method fails with the typed error, which says what to pass.
    const plain = await run([], 'plain');
    expect(plain.code).toBe(1);
    expect(plain.results.runs[0].status).toBe('failed');
    expect(plain.results.runs[0].reason).toContain("Method 'rome' has no hyperparameter preset for model");
    expect(plain.results.runs[0].reason).toContain('--layers auto');
    expect(plain.results.model.preset).toBeNull();
    expect(plain.stdout).toContain('presets: none, no checkpoint with presets has its shape (gpt2, 2 layers');
    // The caption names the folder, not "our small model trained on the benchmark's facts".
    expect(plain.stdout).toContain(`Our numbers come from the checkpoint in \`${folder}\` (gpt2, 2 layers`);

    const auto = await run(['--layers', 'auto'], 'auto');
    expect(auto.code).toBe(0);
    const [record] = auto.results.runs;
    expect(record.status).toBe('done');
    expect(auto.results.options.layersAuto).toBe(true);
    expect(record.layersAuto.layers).toEqual([record.layersAuto.peak]);
    expect(record.layersAuto.facts.length).toBeGreaterThan(0);
    // GPT-2 XL's values, at the traced layer, with the loss at the model's last layer.
    const gpt2Xl = romePresets['gpt2-xl'].rome;
    expect(record.hparams).toMatchObject({
      layers: record.layersAuto.layers,
      vLossLayer: 1,
      vLr: gpt2Xl.vLr,
      vNumGradSteps: gpt2Xl.vNumGradSteps,
      clampNormFactor: gpt2Xl.clampNormFactor,
    });
    expect(auto.results.records[0].error).toBeUndefined();
  });
});
