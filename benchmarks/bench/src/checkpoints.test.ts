import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, MissingPresetError } from '@llmedit/core';
import { ftPresets } from '@llmedit/ft';
import { gracePresets } from '@llmedit/grace';
import { ikePresets } from '@llmedit/ike';
import { knPresets } from '@llmedit/kn';
import { memitPresets } from '@llmedit/memit';
import { type CausalLM, type ModelConfig, saveModel } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { romePresets } from '@llmedit/rome';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchModel, fromPresets } from './bench-method.js';
import { loadBenchModel } from './bench-model.js';
import { describeShape, KNOWN_CHECKPOINTS, knownCheckpoint } from './checkpoints.js';
import { BENCH_METHODS } from './methods.js';

// Hugging Face config.json values of the public checkpoints, as our loader reads them.
const gpt2 = (numLayers: number, hiddenSize: number) => ({
  architecture: 'gpt2' as const,
  numLayers,
  hiddenSize,
  intermediateSize: 4 * hiddenSize,
  vocabSize: 50257,
});
const llama = (intermediateSize: number, vocabSize: number) => ({
  architecture: 'llama' as const,
  numLayers: 32,
  hiddenSize: 4096,
  intermediateSize,
  vocabSize,
});

describe('presets matched by checkpoint shape', () => {
  it("gives a folder a public checkpoint's presets only when its config has that checkpoint's shape", () => {
    expect(knownCheckpoint(gpt2(48, 1600))?.preset).toBe('gpt2-xl');
    expect(knownCheckpoint(llama(11008, 32000))?.preset).toBe('llama-2-7b');
    expect(knownCheckpoint(llama(14336, 128256))?.preset).toBe('llama-3-8b');
    expect(knownCheckpoint(llama(14336, 32000))?.preset).toBe('mistral-7b');
    // GPT-2 small, medium and large are GPT-2 but not GPT-2 XL: no preset (none is tuned for them).
    expect(knownCheckpoint(gpt2(12, 768))).toBeUndefined();
    expect(knownCheckpoint(gpt2(24, 1024))).toBeUndefined();
    expect(knownCheckpoint(gpt2(36, 1280))).toBeUndefined();
    // LLaMA-2-13B is LLaMA too, with another depth and width.
    expect(knownCheckpoint({ ...llama(13824, 32000), numLayers: 40, hiddenSize: 5120 })).toBeUndefined();
    expect(describeShape(gpt2(12, 768))).toBe('gpt2, 12 layers, hidden 768, MLP 3072, vocabulary 50257');
  });

  it("every checkpoint's preset exists in the packages that EasyEdit gives a file for, and parses", () => {
    const byMethod: Record<string, Readonly<Record<string, unknown>>> = {
      'ft-l': ftPresets,
      rome: romePresets,
      memit: memitPresets,
      kn: knPresets,
      grace: gracePresets,
      ike: ikePresets,
    };
    for (const { preset } of KNOWN_CHECKPOINTS) {
      expect(Object.hasOwn(romePresets, preset), preset).toBe(true);
      expect(Object.hasOwn(ftPresets, preset), preset).toBe(true);
    }
    const bench = (preset: string): BenchModel => ({ model: {} as CausalLM, name: preset, preset });
    for (const entry of BENCH_METHODS) {
      const presets = byMethod[entry.method.id];
      if (presets === undefined) continue;
      for (const { preset } of KNOWN_CHECKPOINTS) {
        if (!Object.hasOwn(presets, preset)) continue;
        const values = entry.hparams?.(bench(preset), { smoke: false });
        expect(() => entry.method.hparams.parse(values), `${entry.method.id} ${preset}`).not.toThrow();
      }
    }
  });
});

describe('a checkpoint folder without a preset', () => {
  let dir: string;
  let folder: string;
  let model: CausalLM;
  beforeAll(async () => {
    await initBackend();
    dir = mkdtempSync(join(tmpdir(), 'llmedit-bench-shape-'));
    folder = join(dir, 'my-gpt2');
    model = loadPretrained('micro');
    await saveModel(model, folder);
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no preset, and each method fails with a typed error naming it, the shape and --hparams', () => {
    const bench = loadBenchModel(folder);
    try {
      expect(bench.preset).toBeUndefined();
      const config = bench.model.config as ModelConfig;
      const rome = BENCH_METHODS.find((m) => m.method.id === 'rome')!;
      const call = () => rome.hparams?.(bench, { smoke: false });
      expect(call).toThrow(MissingPresetError);
      expect(call).toThrow(
        `Method 'rome' has no hyperparameter preset for model '${folder}' (gpt2, ${config.numLayers} layers, ` +
          `hidden ${config.hiddenSize}, MLP ${config.intermediateSize}, vocabulary ${config.vocabSize})`,
      );
      expect(call).toThrow(/pass --hparams rome=FILE .*, or --layers auto/);
      const ike = BENCH_METHODS.find((m) => m.method.id === 'ike')!;
      expect(() => ike.hparams?.(bench, { smoke: false })).toThrow(/pass --hparams ike=FILE/);
      expect(() => ike.hparams?.(bench, { smoke: false })).not.toThrow(/--layers auto/);
    } finally {
      bench.model.dispose();
    }
  });

  it("names the matched checkpoint when it has no preset for that method (EasyEdit's gaps)", () => {
    const presets = { 'llama-3-8b': { rome: {} }, micro: { memit: {} } };
    const bench: BenchModel = {
      model: { config: llama(14336, 128256) } as unknown as CausalLM,
      name: '/models/Meta-Llama-3-8B',
      preset: 'llama-3-8b',
    };
    expect(() => fromPresets(presets, 'memit').hparams?.(bench, { smoke: false })).toThrow(
      "Method 'memit' has no hyperparameter preset for model '/models/Meta-Llama-3-8B' (llama, 32 layers, " +
        'hidden 4096, MLP 14336, vocabulary 128256: the shape of llama-3-8b) (presets: llama-3-8b, micro); ' +
        'pass --hparams memit=FILE',
    );
  });
});
