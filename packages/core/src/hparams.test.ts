import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidHparamsError, LlmeditError } from './errors/index.js';
import {
  defineHparams,
  easyEditReaders,
  field,
  HparamsFileError,
  loadEasyEditYaml,
  readEasyEditYaml,
  snakeToCamel,
  snakeToCamelKey,
} from './hparams.js';

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('field validators', () => {
  it('number checks type, finiteness, bounds and integrality', () => {
    const rate = field.number({ min: 0, exclusiveMin: true, max: 1 });
    expect(rate.check(0.5, 'vLr')).toBe(0.5);
    expect(rate.check(1, 'vLr')).toBe(1);
    expect(rate.expected).toBe('a number > 0 and <= 1');
    expect(errorOf(() => rate.check(0, 'vLr')).message).toBe(
      "Invalid hyperparameter 'vLr': expected a number > 0 and <= 1, got number 0",
    );
    expect(errorOf(() => rate.check(1.5, 'vLr')).message).toContain('got number 1.5');
    expect(errorOf(() => rate.check('0.5', 'vLr')).message).toContain('got string "0.5"');
    expect(() => rate.check(Number.NaN, 'vLr')).toThrow(InvalidHparamsError);
    expect(() => field.number().check(Number.POSITIVE_INFINITY, 'x')).toThrow('expected a number');
    expect(field.number({ min: 0 }).check(0, 'x')).toBe(0);
    const steps = field.integer({ min: 1 });
    expect(steps.check(20, 'vNumGradSteps')).toBe(20);
    expect(errorOf(() => steps.check(2.5, 'vNumGradSteps')).message).toBe(
      "Invalid hyperparameter 'vNumGradSteps': expected an integer >= 1, got number 2.5",
    );
  });

  it('boolean, string and oneOf reject other types', () => {
    expect(field.boolean().check(false, 'fp16')).toBe(false);
    expect(errorOf(() => field.boolean().check('false', 'mom2Adjustment')).message).toBe(
      'Invalid hyperparameter \'mom2Adjustment\': expected a boolean, got string "false"',
    );
    expect(field.string().check('', 'name')).toBe('');
    expect(() => field.string({ nonEmpty: true }).check('', 'name')).toThrow('expected a non-empty string');
    expect(() => field.string().check(3, 'name')).toThrow('got number 3');
    const token = field.oneOf(['subject_last', 'last', null]);
    expect(token.check('last', 'factToken')).toBe('last');
    expect(token.check(null, 'factToken')).toBeNull();
    expect(errorOf(() => token.check('first', 'factToken')).message).toBe(
      'Invalid hyperparameter \'factToken\': expected one of "subject_last", "last", null, got string "first"',
    );
  });

  it('array validates every element with an indexed path and copies', () => {
    const layers = field.numberArray({ integer: true, min: 0, minLength: 1 });
    const input = [13, 14, 15];
    const output = layers.check(input, 'layers');
    expect(output).toEqual([13, 14, 15]);
    expect(output).not.toBe(input);
    expect(errorOf(() => layers.check([13, -1], 'layers')).message).toBe(
      "Invalid hyperparameter 'layers[1]': expected an integer >= 0, got number -1",
    );
    expect(errorOf(() => layers.check([], 'layers')).message).toContain(
      'expected a list of at least 1 of an integer >= 0, got a list ([])',
    );
    expect(() => layers.check(5, 'layers')).toThrow("'layers': expected a list");
    const pairs = field.array(field.numberArray({ integer: true, minLength: 2, maxLength: 2 }));
    expect(
      pairs.check(
        [
          [5, 10],
          [10, 10],
        ],
        'contextTemplateLengthParams',
      ),
    ).toEqual([
      [5, 10],
      [10, 10],
    ]);
    expect(
      errorOf(() =>
        pairs.check(
          [
            [5, 10],
            [10, 'x'],
          ],
          'contextTemplateLengthParams',
        ),
      ).message,
    ).toContain("'contextTemplateLengthParams[1][1]'");
    expect(() => pairs.check([[5, 10, 1]], 'c')).toThrow(
      "'c[0]': expected a list of at least 2 and at most 2",
    );
  });

  it('union accepts any alternative and lists all of them when none fits', () => {
    const constraint = field.union(field.number({ min: 0 }), field.oneOf([false]));
    expect(constraint.check(5e-4, 'normConstraint')).toBe(5e-4);
    expect(constraint.check(false, 'normConstraint')).toBe(false);
    expect(errorOf(() => constraint.check(true, 'normConstraint')).message).toBe(
      "Invalid hyperparameter 'normConstraint': expected a number >= 0 or one of false, got boolean true",
    );
  });
});

interface RomeHparams {
  layers: number[];
  factToken: 'subject_last' | 'subject_first' | 'last';
  vNumGradSteps: number;
  vLr: number;
  vLossLayer: number;
  vWeightDecay: number;
  clampNormFactor: number;
  klFactor: number;
  mom2Adjustment: boolean;
  contextTemplateLengthParams: number[][];
  mom2Dataset?: string;
}

const romeDefaults: RomeHparams = {
  layers: [5],
  factToken: 'subject_last',
  vNumGradSteps: 20,
  vLr: 0.5,
  vLossLayer: 11,
  vWeightDecay: 0.5,
  clampNormFactor: 4,
  klFactor: 0.0625,
  mom2Adjustment: false,
  contextTemplateLengthParams: [
    [5, 10],
    [10, 10],
  ],
};

const romeSpec = defineHparams<RomeHparams>(
  romeDefaults,
  {
    layers: field.numberArray({ integer: true, min: 0, minLength: 1, maxLength: 1 }),
    factToken: field.oneOf(['subject_last', 'subject_first', 'last']),
    vNumGradSteps: field.integer({ min: 1 }),
    vLr: field.number({ min: 0, exclusiveMin: true }),
    vLossLayer: field.integer({ min: 0 }),
    vWeightDecay: field.number({ min: 0 }),
    clampNormFactor: field.number({ min: 0, exclusiveMin: true }),
    klFactor: field.number({ min: 0 }),
    mom2Adjustment: field.boolean(),
    contextTemplateLengthParams: field.array(
      field.numberArray({ integer: true, min: 1, minLength: 2, maxLength: 2 }),
    ),
    mom2Dataset: field.string({ nonEmpty: true }),
  },
  {
    ignoredKeys: [
      'rewriteModuleTmp',
      'layerModuleTmp',
      'mlpModuleTmp',
      'attnModuleTmp',
      'lnFModule',
      'lmHeadModule',
    ],
    refine(hparams) {
      const last = Math.max(...hparams.layers);
      if (hparams.vLossLayer < last) {
        throw new InvalidHparamsError(
          'vLossLayer',
          `must be >= the edited layer ${last}, got ${hparams.vLossLayer}`,
        );
      }
    },
  },
);

describe('defineHparams', () => {
  it('returns the defaults for an empty object or undefined', () => {
    expect(romeSpec.parse({})).toEqual(romeDefaults);
    expect(romeSpec.parse(undefined)).toEqual(romeDefaults);
    expect(romeSpec.parse(romeSpec.defaults)).toEqual(romeDefaults);
    expect('mom2Dataset' in romeSpec.parse({})).toBe(false);
  });

  it('merges given keys over the defaults, treating undefined as absent', () => {
    const parsed = romeSpec.parse({
      vLr: 0.1,
      layers: [7],
      vLossLayer: 11,
      klFactor: undefined,
      mom2Dataset: 'wiki',
    });
    expect(parsed).toEqual({ ...romeDefaults, vLr: 0.1, layers: [7], mom2Dataset: 'wiki' });
  });

  it('returns fresh objects that never alias the defaults or the input', () => {
    const first = romeSpec.parse({});
    first.layers.push(99);
    first.contextTemplateLengthParams[0]?.push(1);
    expect(romeSpec.parse({}).layers).toEqual([5]);
    expect(romeSpec.defaults.contextTemplateLengthParams[0]).toEqual([5, 10]);
    const input = { layers: [3] };
    const parsed = romeSpec.parse(input);
    parsed.layers[0] = 4;
    expect(input.layers).toEqual([3]);
    expect(Object.isFrozen(romeSpec.defaults.layers)).toBe(true);
  });

  it('rejects non-objects naming what it got', () => {
    for (const bad of [null, 3, 'vLr=0.5', [1, 2], new Map()]) {
      const error = errorOf(() => romeSpec.parse(bad));
      expect(error).toBeInstanceOf(InvalidHparamsError);
      expect(error.message).toContain(
        "Invalid hyperparameter '(hparams)': expected an object of hyperparameters",
      );
    }
  });

  it('rejects unknown keys, listing the valid ones and suggesting the likely one', () => {
    const snake = errorOf(() => romeSpec.parse({ v_lr: 0.1 })) as InvalidHparamsError;
    expect(snake.field).toBe('v_lr');
    expect(snake.code).toBe('INVALID_HPARAMS');
    expect(snake.message).toBe(
      "Invalid hyperparameter 'v_lr': unknown key (did you mean 'vLr'?). Valid keys: layers, factToken, " +
        'vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor, mom2Adjustment, ' +
        'contextTemplateLengthParams, mom2Dataset',
    );
    expect(errorOf(() => romeSpec.parse({ klFacter: 1 })).message).toContain("(did you mean 'klFactor'?)");
    expect(errorOf(() => romeSpec.parse({ LAYERS: [1] })).message).toContain("(did you mean 'layers'?)");
    const unrelated = errorOf(() => romeSpec.parse({ temperature: 1 }));
    expect(unrelated.message).toContain("'temperature': unknown key. Valid keys: layers,");
    expect(() => romeSpec.parse({ toString: 1 })).toThrow("'toString': unknown key");
    expect(() => romeSpec.parse(JSON.parse('{"__proto__": {"vLr": 1}}'))).toThrow("'__proto__': unknown key");
  });

  it('accepts and drops the ignored keys', () => {
    const parsed = romeSpec.parse({ rewriteModuleTmp: 'transformer.h.{}.mlp.c_proj', vLr: 0.2 });
    expect(parsed).toEqual({ ...romeDefaults, vLr: 0.2 });
    expect('rewriteModuleTmp' in parsed).toBe(false);
  });

  it('names the field and the expected type for wrongly typed values', () => {
    expect(errorOf(() => romeSpec.parse({ vLr: '5e-1' })).message).toBe(
      'Invalid hyperparameter \'vLr\': expected a number > 0, got string "5e-1"',
    );
    expect(errorOf(() => romeSpec.parse({ layers: 5 })).message).toContain(
      "'layers': expected a list of at least 1",
    );
    expect(errorOf(() => romeSpec.parse({ layers: [5, 6] })).message).toContain('at most 1');
    expect(errorOf(() => romeSpec.parse({ mom2Adjustment: 1 })).message).toContain(
      "'mom2Adjustment': expected a boolean, got number 1",
    );
    expect((errorOf(() => romeSpec.parse({ factToken: 'first' })) as InvalidHparamsError).field).toBe(
      'factToken',
    );
  });

  it('runs the cross-field check on the merged result', () => {
    expect(() => romeSpec.parse({ layers: [17] })).toThrow(
      "'vLossLayer': must be >= the edited layer 17, got 11",
    );
    expect(romeSpec.parse({ layers: [17], vLossLayer: 47 }).vLossLayer).toBe(47);
  });

  it('validates the defaults when the spec is defined', () => {
    expect(() => defineHparams({ lr: -1 }, { lr: field.number({ min: 0 }) })).toThrow(
      "Invalid hyperparameter 'defaults.lr': expected a number >= 0, got number -1",
    );
    expect(() => defineHparams({ lr: 1, extra: 2 } as { lr: number }, { lr: field.number() })).toThrow(
      "'extra': has a default but no validator",
    );
  });
});

describe('snakeToCamel', () => {
  it('converts keys', () => {
    expect(snakeToCamelKey('v_lr')).toBe('vLr');
    expect(snakeToCamelKey('mom2_n_samples')).toBe('mom2NSamples');
    expect(snakeToCamelKey('ln_f_module')).toBe('lnFModule');
    expect(snakeToCamelKey('context_template_length_params')).toBe('contextTemplateLengthParams');
    expect(snakeToCamelKey('alreadyCamel')).toBe('alreadyCamel');
    expect(snakeToCamelKey('_private_key')).toBe('_privateKey');
    expect(snakeToCamelKey('layer_0')).toBe('layer0');
  });

  it('converts nested objects and objects inside arrays, leaving values alone', () => {
    expect(
      snakeToCamel({
        outer_key: { inner_key: 'keep_this_value' },
        list_of: [{ a_b: 1 }, 'x_y', [{ c_d: 2 }]],
      }),
    ).toEqual({ outerKey: { innerKey: 'keep_this_value' }, listOf: [{ aB: 1 }, 'x_y', [{ cD: 2 }]] });
    expect(snakeToCamel('plain_string')).toBe('plain_string');
    expect(snakeToCamel(null)).toBeNull();
  });

  it('rejects two spellings of one key', () => {
    expect(() => snakeToCamel({ v_lr: 1, vLr: 2 })).toThrow(
      "Invalid hyperparameter 'vLr': both 'v_lr' and 'vLr' are given; they name the same key 'vLr'",
    );
  });
});

// Mirrors EasyEdit's hparams/ROME/gpt2-xl.yaml (values from reference/easyedit.md section 4.2).
const romeGpt2XlYaml = `alg_name: "ROME"
model_name: "./hugging_cache/gpt2-xl"
stats_dir: "./data/stats"
device: 0
layers: [17]
fact_token: "subject_last"
v_num_grad_steps: 20
v_lr: 5e-1
v_loss_layer: 47
v_weight_decay: 0.5
clamp_norm_factor: 4
kl_factor: 0.0625
mom2_adjustment: false
context_template_length_params: [[5, 10], [10, 10]]
rewrite_module_tmp: "transformer.h.{}.mlp.c_proj"
layer_module_tmp: "transformer.h.{}"
mlp_module_tmp: "transformer.h.{}.mlp"
attn_module_tmp: "transformer.h.{}.attn"
ln_f_module: "transformer.ln_f"
lm_head_module: "transformer.wte"
mom2_dataset: "wikipedia"
mom2_n_samples: 100000
mom2_dtype: "float32"
model_parallel: false
fp16: False
`;

// Mirrors EasyEdit's hparams/MEMIT/gpt2-xl.yaml (section 4.4), with values quoted as a PyYAML user might.
const memitGpt2XlYaml = `alg_name: "MEMIT"
model_name: "./hugging_cache/gpt2-xl"
device: 0
layers: [13, 14, 15, 16, 17]
clamp_norm_factor: 0.75
layer_selection: "all"
fact_token: "subject_last"
v_num_grad_steps: 20
v_lr: "5e-1"
v_loss_layer: 47
v_weight_decay: "0.5"
kl_factor: 0.0625
mom2_adjustment: true
mom2_update_weight: 20000
learning_rates: ["1e-5", '5e-4', .1, -2.5E+3]
rewrite_module_tmp: "transformer.h.{}.mlp.c_proj"
mom2_dataset: "wikipedia"
mom2_n_samples: 100000
mom2_dtype: "float32"
`;

describe('readEasyEditYaml', () => {
  it('reads an EasyEdit ROME config into camelCase hparams that a spec parses', () => {
    const file = readEasyEditYaml(romeGpt2XlYaml, { algName: 'rome' });
    expect(file.algName).toBe('ROME');
    expect(file.modelName).toBe('./hugging_cache/gpt2-xl');
    expect(file.runtime).toEqual({ statsDir: './data/stats', device: 0, modelParallel: false, fp16: false });
    expect(file.hparams).toMatchObject({
      layers: [17],
      factToken: 'subject_last',
      vLr: 0.5,
      vLossLayer: 47,
      klFactor: 0.0625,
      mom2Adjustment: false,
      contextTemplateLengthParams: [
        [5, 10],
        [10, 10],
      ],
      lnFModule: 'transformer.ln_f',
      mom2NSamples: 100000,
      mom2Dtype: 'float32',
    });
    expect(Object.keys(file.hparams)).not.toContain('algName');
    expect(Object.keys(file.hparams)).not.toContain('modelName');
    const { mom2NSamples: _n, mom2Dtype: _d, ...known } = file.hparams;
    expect(romeSpec.parse(known)).toEqual({
      ...romeDefaults,
      layers: [17],
      vLossLayer: 47,
      mom2Dataset: 'wikipedia',
    });
  });

  it('turns numeric strings into numbers and keeps other strings', () => {
    const file = readEasyEditYaml(memitGpt2XlYaml, { algName: 'MEMIT' });
    expect(file.hparams.vLr).toBe(0.5);
    expect(file.hparams.vWeightDecay).toBe(0.5);
    expect(file.hparams.learningRates).toEqual([1e-5, 5e-4, 0.1, -2500]);
    expect(file.hparams.layers).toEqual([13, 14, 15, 16, 17]);
    expect(file.hparams.mom2UpdateWeight).toBe(20000);
    expect(file.hparams.layerSelection).toBe('all');
    expect(file.hparams.rewriteModuleTmp).toBe('transformer.h.{}.mlp.c_proj');
    expect(file.hparams.mom2Dtype).toBe('float32');
    const words = readEasyEditYaml('a: "inf"\nb: "1e"\nc: "e5"\nd: "1.2.3"\ne: " 7 "\nf: "0x10"\n');
    expect(words.hparams).toEqual({ a: 'inf', b: '1e', c: 'e5', d: '1.2.3', e: 7, f: '0x10' });
  });

  it('reads YAML 1.1 as PyYAML does', () => {
    expect(readEasyEditYaml('fp16: no\nmodel_parallel: yes\nx: True\n').hparams).toEqual({ x: true });
    expect(readEasyEditYaml('fp16: no\nmodel_parallel: yes\n').runtime).toEqual({
      fp16: false,
      modelParallel: true,
    });
  });

  it('checks alg_name ignoring case, dashes and underscores', () => {
    expect(readEasyEditYaml('alg_name: R-ROME\n', { algName: 'r-rome' }).algName).toBe('R-ROME');
    expect(readEasyEditYaml('alg_name: AlphaEdit\n', { algName: 'alphaedit' }).algName).toBe('AlphaEdit');
    const mismatch = errorOf(() =>
      readEasyEditYaml(romeGpt2XlYaml, { algName: 'MEMIT', source: 'rome.yaml' }),
    );
    expect(mismatch).toBeInstanceOf(InvalidHparamsError);
    expect((mismatch as InvalidHparamsError).field).toBe('alg_name');
    expect(mismatch.message).toBe(
      "Invalid hyperparameter 'alg_name': rome.yaml is for 'ROME', but it was loaded for 'MEMIT'",
    );
    expect(() => readEasyEditYaml('layers: [5]\n', { algName: 'ROME' })).toThrow(
      "'alg_name': hparams YAML: missing",
    );
    expect(readEasyEditYaml('layers: [5]\n').algName).toBeUndefined();
    expect(() => readEasyEditYaml('alg_name: 5\n')).toThrow("'alg_name': hparams YAML: expected a string");
  });

  it('rejects files that are not a YAML mapping', () => {
    const syntax = errorOf(() => readEasyEditYaml('layers: [5\nv_lr: 1\n', { source: 'bad.yaml' }));
    expect(syntax).toBeInstanceOf(HparamsFileError);
    expect(LlmeditError.isInstance(syntax)).toBe(true);
    expect((syntax as HparamsFileError).code).toBe('HPARAMS_FILE');
    expect(syntax.message).toMatch(/^bad\.yaml: not valid YAML: /);
    expect(() => readEasyEditYaml('- 1\n- 2\n')).toThrow('expected a mapping of hyperparameters, got a list');
    expect(() => readEasyEditYaml('')).toThrow('expected a mapping of hyperparameters, got null');
    expect(() => readEasyEditYaml('v_lr: 1\nv_lr: 2\n')).toThrow(HparamsFileError);
  });
});

describe('loadEasyEditYaml', () => {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'llmedit-hparams-'));
    await writeFile(join(directory, 'gpt2-xl.yaml'), romeGpt2XlYaml);
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads a file, appending .yaml like EasyEdit', async () => {
    const withExtension = await loadEasyEditYaml(join(directory, 'gpt2-xl.yaml'), { algName: 'ROME' });
    const withoutExtension = await loadEasyEditYaml(join(directory, 'gpt2-xl'), { algName: 'ROME' });
    expect(withExtension).toEqual(withoutExtension);
    expect(withExtension.hparams.vLossLayer).toBe(47);
  });

  it('names the file in errors', async () => {
    const missing = await rejectionOf(loadEasyEditYaml(join(directory, 'nope')));
    expect(missing).toBeInstanceOf(HparamsFileError);
    expect(missing.message).toContain(`${join(directory, 'nope.yaml')}: cannot be read`);
    const mismatch = await rejectionOf(loadEasyEditYaml(join(directory, 'gpt2-xl'), { algName: 'KN' }));
    expect(mismatch.message).toContain(
      `${join(directory, 'gpt2-xl.yaml')} is for 'ROME', but it was loaded for 'KN'`,
    );
  });
});

describe('easyEditReaders', () => {
  const spec = defineHparams({ steps: 1 }, { steps: field.integer({ min: 1 }) });
  const readers = easyEditReaders('R-ROME', spec);

  it('parses a file, text or path of its own alg_name (compared ignoring case, - and _)', async () => {
    expect(readers.fromFile({ algName: 'r_rome', hparams: { steps: 3 }, runtime: {} })).toEqual({ steps: 3 });
    expect(readers.fromFile({ hparams: {}, runtime: {} })).toEqual({ steps: 1 });
    expect(readers.read('alg_name: R-ROME\nsteps: 4\n')).toEqual({ steps: 4 });
    const directory = await mkdtemp(join(tmpdir(), 'llmedit-readers-'));
    try {
      await writeFile(join(directory, 'r.yaml'), 'alg_name: RROME\nsteps: 5\n');
      expect(await readers.load(join(directory, 'r'))).toEqual({ steps: 5 });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("refuses another method's file and a text without alg_name", () => {
    const other = errorOf(() => readers.fromFile({ algName: 'MEMIT', hparams: {}, runtime: {} }));
    expect(other).toBeInstanceOf(InvalidHparamsError);
    expect(other.message).toContain("expected 'R-ROME', got 'MEMIT'");
    expect(() => readers.read('steps: 4\n')).toThrow(/alg_name/);
    expect(() => readers.read('alg_name: R-ROME\nsteps: 0\n')).toThrow(InvalidHparamsError);
  });
});
