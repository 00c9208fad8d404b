import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EditDisposedError, type EvaluationPoint, edit } from './edit.js';
import { ConcurrentEditError, EditOrderError } from './edit-stack.js';
import {
  CapabilityError,
  EditError,
  InvalidHparamsError,
  InvalidRequestError,
  UnknownLocationError,
} from './errors/index.js';
import { defineHparams, field } from './hparams.js';
import { defineEditMethod, type EditCapabilities, type EditMethodV1, type EditOutcome } from './method.js';
import type { EditableModel, WeightSnapshot } from './model.js';
import type { EditRequest } from './request.js';
import { type Tensor, tf, type Variable } from './tf.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A two-weight model with awkward float bits (-0, subnormal, NaN) so that "bit-exact" means something. */
class ToyModel implements EditableModel {
  readonly modelId = 'toy';
  private readonly weights = new Map<string, Variable>();

  constructor() {
    const w = tf.tensor1d(new Float32Array([0.1, -0, 1e-40, Number.NaN, 3.5]));
    const b = tf.tensor1d(new Float32Array([1, 2]));
    this.weights.set('w', tf.variable(w));
    this.weights.set('b', tf.variable(b));
    w.dispose();
    b.dispose();
  }

  weightNames(): readonly string[] {
    return [...this.weights.keys()];
  }

  weight(name: string): Variable {
    const variable = this.weights.get(name);
    if (variable === undefined) throw new UnknownLocationError(`no weight ${name}`);
    return variable;
  }

  setWeight(name: string, value: Tensor): void {
    this.weight(name).assign(value);
  }

  snapshotWeights(names: readonly string[] = this.weightNames()): WeightSnapshot {
    const saved = new Map(names.map((name) => [name, tf.clone(this.weight(name))]));
    return {
      names,
      restore: () => {
        for (const [name, value] of saved) this.weight(name).assign(value);
      },
      dispose: () => {
        for (const value of saved.values()) value.dispose();
      },
    };
  }

  bytes(): Uint8Array[] {
    return this.weightNames().map((name) => {
      const data = this.weight(name).dataSync();
      return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    });
  }

  values(name: string): number[] {
    return Array.from(this.weight(name).dataSync());
  }

  dispose(): void {
    for (const variable of this.weights.values()) variable.dispose();
  }
}

interface AddHparams {
  amount: number;
}

const allCapabilities: EditCapabilities = {
  batch: true,
  sequential: true,
  multimodal: false,
  requiresTraining: false,
  modifiesWeights: true,
};

/** Adds `amount` per request to every element of `w`; the delta is an owned tensor. */
function addMethod(
  capabilities: Partial<EditCapabilities> = {},
  behaviour: { throwAfterWrite?: boolean; scratchElements?: number; touch?: string } = {},
): EditMethodV1<AddHparams, ToyModel> {
  return defineEditMethod<AddHparams, ToyModel>({
    specificationVersion: 'v1',
    id: 'add-edit',
    displayName: 'Add',
    capabilities: { ...allCapabilities, ...capabilities },
    hparams: defineHparams<AddHparams>({ amount: 1 }, { amount: field.number() }),
    async doEdit(_context, model, requests, hparams) {
      const name = behaviour.touch ?? 'w';
      if (behaviour.scratchElements !== undefined) {
        const scratch = tf.ones([behaviour.scratchElements]);
        scratch.dispose();
      }
      const delta = tf.fill(model.weight(name).shape, hparams.amount * requests.length);
      const updated = tf.add(model.weight(name), delta);
      model.setWeight(name, updated);
      updated.dispose();
      await Promise.resolve();
      if (behaviour.throwAfterWrite === true) {
        delta.dispose();
        throw new Error('boom after writing');
      }
      const outcome: EditOutcome<ToyModel> = {
        model,
        deltas: new Map([[name, delta]]),
        restore() {},
        dispose() {
          delta.dispose();
        },
        info: { requests: requests.length },
      };
      return outcome;
    },
  });
}

const request = (n: number): EditRequest => ({ prompt: `Prompt ${n} is`, targetNew: ` t${n}` });

describe('edit()', () => {
  let model: ToyModel;
  let tensorsAtStart = 0;

  beforeAll(() => {
    model = new ToyModel();
  });

  afterEach(() => {
    expect(tf.memory().numTensors).toBe(tensorsAtStart);
  });

  it('applies one request, times it, reports touched weights, reverts bit for bit and frees everything', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const result = await edit({ method: addMethod(), model, requests: request(0), hparams: { amount: 2 } });
    expect(result.mode).toBe('single');
    expect(result.hparams).toEqual({ amount: 2 });
    expect(model.values('w')[0]).toBeCloseTo(2.1, 5);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]?.wallMs).toBeGreaterThanOrEqual(0);
    expect(result.steps[0]?.touchedWeights).toEqual(['w']);
    expect(result.steps[0]?.tensorsRetained).toBe(1);
    expect(result.steps[0]?.info).toEqual({ requests: 1 });
    expect(result.touchedWeights).toEqual(['w']);
    expect(result.outcomes[0]?.deltas.get('w')?.dataSync()[0]).toBe(2);
    result.revert();
    result.revert();
    expect(result.reverted).toBe(true);
    expect(model.bytes()).toEqual(before);
    result.dispose();
    expect(() => result.revert()).toThrow(EditDisposedError);
  });

  it('records the peak of tensor bytes during the call', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const result = await edit({
      method: addMethod({}, { scratchElements: 1 << 18 }),
      model,
      requests: request(0),
    });
    const { memory } = result.steps[0]!;
    expect(memory.peakExtraBytes).toBeGreaterThanOrEqual(4 << 18);
    expect(memory.peakBytes).toBe(memory.startBytes + memory.peakExtraBytes);
    expect(result.peakExtraTensorBytes).toBe(memory.peakExtraBytes);
    result.revert();
    result.dispose();
    // The engine is left unpatched once no edit is running.
    expect(Object.hasOwn(tf.engine(), 'trackTensor')).toBe(false);
  });

  it("keeps calling another tool's trackTensor wrapper during the edit and puts it back after", async () => {
    tensorsAtStart = tf.memory().numTensors;
    type Tracker = (this: unknown, tensor: unknown, backend: unknown) => void;
    const engine = tf.engine() as unknown as { trackTensor: Tracker };
    const prototypeTracker = engine.trackTensor;
    let seen = 0;
    const outer: Tracker = function (tensor, backend) {
      seen++;
      prototypeTracker.call(this, tensor, backend);
    };
    engine.trackTensor = outer;
    try {
      const result = await edit({
        method: addMethod({}, { scratchElements: 16 }),
        model,
        requests: request(0),
      });
      // The method's scratch tensor and its delta, at least, went through the outer wrapper.
      expect(seen).toBeGreaterThanOrEqual(2);
      expect(engine.trackTensor).toBe(outer);
      result.revert();
      result.dispose();
    } finally {
      delete (engine as Partial<typeof engine>).trackTensor;
    }
  });

  it('turns a throw into EditError (with the cause) after restoring every weight bit for bit', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const error = await edit({
      method: addMethod({}, { throwAfterWrite: true }),
      model,
      requests: request(0),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EditError);
    expect((error as EditError).code).toBe('EDIT_FAILED');
    expect((error as EditError).message).toMatch(/boom after writing/);
    expect(((error as EditError).cause as Error).message).toBe('boom after writing');
    expect(model.bytes()).toEqual(before);
  });

  it('restores everything when a sequential run fails midway', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    let calls = 0;
    const base = addMethod();
    const failsThird = defineEditMethod<AddHparams, ToyModel>({
      ...base,
      async doEdit(context, m, requests, hparams) {
        calls++;
        if (calls === 3) throw new Error('third fails');
        return base.doEdit(context, m, requests, hparams);
      },
    });
    await expect(
      edit({ method: failsThird, model, requests: [0, 1, 2, 3].map(request), mode: 'sequential' }),
    ).rejects.toThrow(/third fails/);
    expect(model.bytes()).toEqual(before);
    // The error names the step and the request that failed.
    calls = 0;
    await expect(
      edit({
        method: failsThird,
        model,
        requests: [0, 1, 2, 3].map((n) => ({ ...request(n), id: `r${n}` })),
        mode: 'sequential',
      }),
    ).rejects.toThrow(
      "Edit with 'add-edit' failed (model restored): step 3 of 4 (request 2 'r2'): third fails",
    );
    calls = 0;
    await expect(
      edit({
        method: failsThird,
        model,
        requests: [0, 1, 2, 3, 4, 5].map(request),
        mode: 'sequential',
        batchSize: 2,
      }),
    ).rejects.toThrow('step 3 of 3 (request 4 "Prompt 4 is", request 5 "Prompt 5 is"): third fails');
    expect(model.bytes()).toEqual(before);
  });

  it('rejects a method that changes weights while declaring modifiesWeights: false', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    await expect(
      edit({ method: addMethod({ modifiesWeights: false }), model, requests: request(0) }),
    ).rejects.toThrow(/modifiesWeights: false but replaced w/);
    expect(model.bytes()).toEqual(before);
  });

  it('stops at an aborted signal with the model unchanged', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const controller = new AbortController();
    controller.abort();
    const error = await edit({
      method: addMethod(),
      model,
      requests: request(0),
      context: { signal: controller.signal },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EditError);
    expect(model.bytes()).toEqual(before);
  });

  it('validates requests, hparams and mode before touching the model', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const method = addMethod();
    await expect(edit({ method, model, requests: { prompt: 'x', targetNew: '' } })).rejects.toThrow(
      InvalidRequestError,
    );
    await expect(edit({ method, model, requests: [] })).rejects.toThrow(/at least one/);
    await expect(edit({ method, model, requests: request(0), hparams: { amout: 1 } })).rejects.toThrow(
      InvalidHparamsError,
    );
    await expect(edit({ method, model, requests: [request(0), request(1)] })).rejects.toThrow(
      /mode.*required/,
    );
    await expect(
      edit({ method, model, requests: request(0), mode: 'batch', evalSchedule: { every: 1 } }),
    ).rejects.toThrow(/evalSchedule/);
    await expect(
      edit({ method, model, requests: request(0), mode: 'sequential', evalSchedule: { every: 0 } }),
    ).rejects.toThrow(/evalSchedule.every/);
    await expect(
      edit({ method, model, requests: request(0), mode: 'sequential', evalSchedule: { at: [1, 0] } }),
    ).rejects.toThrow(/evalSchedule.at.*got 0/);
  });

  it('checks the capabilities the call needs', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const two = [request(0), request(1)];
    await expect(
      edit({ method: addMethod({ batch: false }), model, requests: two, mode: 'batch' }),
    ).rejects.toThrow(CapabilityError);
    await expect(
      edit({ method: addMethod({ maxBatchSize: 1 }), model, requests: two, mode: 'batch' }),
    ).rejects.toThrow(/at most 1/);
    await expect(
      edit({ method: addMethod({ sequential: false }), model, requests: two, mode: 'sequential' }),
    ).rejects.toThrow(/sequential is false/);
    await expect(
      edit({ method: addMethod({ batch: false }), model, requests: two, mode: 'sequential', batchSize: 2 }),
    ).rejects.toThrow(/batch is false/);
    await expect(
      edit({ method: addMethod(), model, requests: { ...request(0), image: 'cat.png' } }),
    ).rejects.toThrow(/text-only/);
    const trained = defineEditMethod<AddHparams, ToyModel>({
      ...addMethod(),
      capabilities: { ...allCapabilities, requiresTraining: true },
      async doPrepare() {
        return { trained: true };
      },
    });
    await expect(edit({ method: trained, model, requests: request(0) })).rejects.toThrow(/context.artifact/);
    let seen: unknown;
    const withArtifact = await edit({
      method: {
        ...trained,
        doEdit(context, m, r, h) {
          seen = context;
          return trained.doEdit(context, m, r, h);
        },
      },
      model,
      requests: request(0),
      context: { artifact: { trained: true }, seed: 7 },
    });
    expect(seen).toMatchObject({ artifact: { trained: true }, seed: 7 });
    withArtifact.revert();
    withArtifact.dispose();
    // Single mode never needs batch or sequential support.
    const single = await edit({
      method: addMethod({ batch: false, sequential: false }),
      model,
      requests: two,
      mode: 'single',
    });
    single.revert();
    single.dispose();
  });

  it('single mode edits each request from the original weights, evaluating and reverting in between', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const original = model.values('w')[0]!;
    const seen: number[] = [];
    const result = await edit({
      method: addMethod(),
      model,
      requests: [0, 1, 2].map(request),
      mode: 'single',
      evaluate: ({ model: m, edited, step }) => {
        seen.push(m.values('w')[0]!);
        return { step, edited: edited.map((r) => r.prompt) };
      },
    });
    for (const value of seen) expect(value).toBeCloseTo(original + 1, 5);
    expect(result.evaluations.map((e) => e.result)).toEqual([
      { step: 1, edited: ['Prompt 0 is'] },
      { step: 2, edited: ['Prompt 1 is'] },
      { step: 3, edited: ['Prompt 2 is'] },
    ]);
    expect(result.evaluations.map((e) => e.editedIndices)).toEqual([[0], [1], [2]]);
    // The last edit stays applied; the earlier outcomes were reverted and freed.
    expect(result.outcomes).toHaveLength(1);
    expect(model.values('w')[0]).toBeCloseTo(original + 1, 5);
    result.revert();
    expect(model.bytes()).toEqual(before);
    result.dispose();
  });

  it('batch mode makes one call with every request', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const original = model.values('w')[0]!;
    const finals: boolean[] = [];
    const result = await edit({
      method: addMethod(),
      model,
      requests: [0, 1, 2].map(request),
      mode: 'batch',
      evaluate: (point) => finals.push(point.final),
    });
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]?.requestIndices).toEqual([0, 1, 2]);
    expect(model.values('w')[0]).toBeCloseTo(original + 3, 5);
    expect(finals).toEqual([true]);
    result.revert();
    result.dispose();
  });

  it('sequential mode accumulates and evaluates per the schedule', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const original = model.values('w')[0]!;
    const points: Omit<EvaluationPoint<ToyModel>, 'model' | 'edited' | 'latest'>[] = [];
    const result = await edit({
      method: addMethod(),
      model,
      requests: [0, 1, 2, 3, 4].map(request),
      mode: 'sequential',
      evalSchedule: { every: 2 },
      evaluate: ({ model: m, edited, latest, ...rest }) => {
        points.push(rest);
        expect(latest).toHaveLength(1);
        return { edited: edited.length, w: m.values('w')[0]! - original };
      },
    });
    expect(points.map((p) => [p.step, p.final])).toEqual([
      [2, false],
      [4, false],
      [5, true],
    ]);
    const results = result.evaluations.map((e) => e.result);
    expect(results.map((r) => r.edited)).toEqual([2, 4, 5]);
    expect(results[2]?.w).toBeCloseTo(5, 5);
    expect(result.evaluations[1]?.editedIndices).toEqual([0, 1, 2, 3]);
    expect(result.outcomes).toHaveLength(5);
    result.revert();
    expect(model.bytes()).toEqual(before);
    result.dispose();
  });

  it('sequential mode with batchSize groups requests and can evaluate only after each edit', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const steps: number[] = [];
    const result = await edit({
      method: addMethod(),
      model,
      requests: [0, 1, 2, 3, 4].map(request),
      mode: 'sequential',
      batchSize: 2,
      evalSchedule: { every: 1, atEnd: false },
      evaluate: ({ step }) => steps.push(step),
    });
    expect(result.steps.map((s) => s.requestIndices)).toEqual([[0, 1], [2, 3], [4]]);
    expect(steps).toEqual([1, 2, 3]);
    result.revert();
    result.dispose();
  });

  it('sequential mode with retainOutcomes false frees weights-only outcomes as it goes and reverts exactly', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const base = addMethod();
    const freed: number[] = [];
    let made = 0;
    const method: EditMethodV1<AddHparams, ToyModel> = {
      ...base,
      async doEdit(...args) {
        const outcome = await base.doEdit(...args);
        const k = ++made;
        return {
          ...outcome,
          weightsOnly: true,
          dispose() {
            freed.push(k);
            outcome.dispose();
          },
        };
      },
    };
    const tensors: number[] = [];
    const result = await edit({
      method,
      model,
      requests: [0, 1, 2, 3].map(request),
      mode: 'sequential',
      retainOutcomes: false,
      evalSchedule: { every: 1 },
      evaluate: () => tensors.push(tf.memory().numTensors),
    });
    // Each step frees the one before; the last stays with the result.
    expect(freed).toEqual([1, 2, 3]);
    expect(tensors[3]).toBe(tensors[1]);
    result.revert();
    expect(model.bytes()).toEqual(before);
    result.dispose();
    expect(freed).toEqual([1, 2, 3, 4]);

    // By default every outcome stays until dispose(); the option is for sequential mode only.
    made = 0;
    freed.length = 0;
    const kept = await edit({ method, model, requests: [0, 1, 2].map(request), mode: 'sequential' });
    expect(freed).toEqual([]);
    kept.revert();
    kept.dispose();
    await expect(
      edit({ method, model, requests: request(0), mode: 'batch', retainOutcomes: false }),
    ).rejects.toThrow(/retainOutcomes/);
  });

  it('sequential mode evaluates at the listed steps (a log-spaced curve) and at the end', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const seen: [number, number][] = [];
    const result = await edit({
      method: addMethod(),
      model,
      requests: [0, 1, 2, 3, 4, 5].map(request),
      mode: 'sequential',
      evalSchedule: { at: [1, 3, 100] },
      evaluate: ({ step, edited }) => seen.push([step, edited.length]),
    });
    expect(seen).toEqual([
      [1, 1],
      [3, 3],
      [6, 6],
    ]);
    result.revert();
    result.dispose();
  });

  it('rethrows a failing evaluate as is, after restoring the model', async () => {
    tensorsAtStart = tf.memory().numTensors;
    const before = model.bytes();
    const problem = new RangeError('evaluation broke');
    const error = await edit({
      method: addMethod(),
      model,
      requests: [request(0), request(1)],
      mode: 'sequential',
      evaluate: () => {
        throw problem;
      },
    }).catch((e: unknown) => e);
    expect(error).toBe(problem);
    expect(model.bytes()).toEqual(before);
  });

  it('returns the wrapper of a method that does not modify weights, and drops it on revert', async () => {
    tensorsAtStart = tf.memory().numTensors;
    let restored = 0;
    const memory = defineEditMethod<AddHparams, ToyModel>({
      ...addMethod({ modifiesWeights: false }),
      async doEdit(_context, m) {
        const wrapper = Object.create(m) as ToyModel;
        return { model: wrapper, deltas: new Map(), restore: () => void restored++, dispose() {} };
      },
    });
    const result = await edit({ method: memory, model, requests: request(0) });
    expect(result.model).not.toBe(model);
    expect(Object.getPrototypeOf(result.model)).toBe(model);
    expect(result.touchedWeights).toEqual([]);
    result.revert();
    expect(restored).toBe(1);
    result.dispose();
  });

  describe('edits as a stack', () => {
    // Each test uses its own model: disposed weight edits settle on the model they were made on.
    let own: ToyModel;
    beforeEach(() => {
      tensorsAtStart = tf.memory().numTensors;
      own = new ToyModel();
    });
    afterEach(() => own.dispose());
    const named = (n: number): EditRequest => ({ ...request(n), id: `edit-${n}` });
    const thrownBy = (run: () => void): unknown => {
      try {
        run();
      } catch (error) {
        return error;
      }
      return undefined;
    };

    it('refuses an out-of-order revert, naming the later edits, and changes nothing', async () => {
      const before = own.bytes();
      const a = await edit({ method: addMethod(), model: own, requests: named(0) });
      const afterA = own.bytes();
      const b = await edit({ method: addMethod(), model: own, requests: named(1), hparams: { amount: 10 } });
      const c = await edit({ method: addMethod(), model: own, requests: named(2), hparams: { amount: 100 } });
      const afterC = own.bytes();
      const error = thrownBy(() => a.revert());
      expect(error).toBeInstanceOf(EditOrderError);
      expect((error as EditOrderError).revertFirst).toEqual([c.label, b.label]);
      expect((error as EditOrderError).message).toContain(
        "'add-edit' edit of 'edit-2', then 'add-edit' edit of 'edit-1'",
      );
      // Weights and flags agree: nothing was reverted.
      expect(a.reverted).toBe(false);
      expect(own.bytes()).toEqual(afterC);
      expect(() => b.revert()).toThrow(EditOrderError);
      c.revert();
      b.revert();
      expect(own.bytes()).toEqual(afterA);
      a.revert();
      expect(own.bytes()).toEqual(before);
      for (const r of [a, b, c]) r.dispose();
    });

    it('reverts out of order exactly when the later edits changed no weight', async () => {
      const before = own.bytes();
      const a = await edit({ method: addMethod(), model: own, requests: named(0) });
      let restored = 0;
      const memory = defineEditMethod<AddHparams, ToyModel>({
        ...addMethod({ modifiesWeights: false }),
        async doEdit(_context, m) {
          return {
            model: Object.create(m) as ToyModel,
            deltas: new Map(),
            restore: () => void restored++,
            dispose() {},
          };
        },
      });
      const b = await edit({ method: memory, model: own, requests: named(1) });
      a.revert();
      expect(own.bytes()).toEqual(before);
      expect(restored).toBe(0);
      b.revert();
      expect(restored).toBe(1);
      a.dispose();
      b.dispose();
    });

    it('a weight edit disposed without revert makes the earlier ones irreversible', async () => {
      const a = await edit({ method: addMethod(), model: own, requests: named(0) });
      const b = await edit({ method: addMethod(), model: own, requests: named(1) });
      const afterB = own.bytes();
      b.dispose();
      const error = thrownBy(() => a.revert()) as EditOrderError;
      expect(error).toBeInstanceOf(EditOrderError);
      expect(error.permanent).toBe(true);
      expect(error.revertFirst).toEqual([b.label]);
      expect(own.bytes()).toEqual(afterB);
      // A later edit on top is still revertible.
      const c = await edit({ method: addMethod(), model: own, requests: named(2) });
      c.revert();
      expect(own.bytes()).toEqual(afterB);
      a.dispose();
      c.dispose();
    });

    it('refuses an edit() or revert() that overlaps a running edit() on the same model (or a view of it)', async () => {
      const before = own.bytes();
      const done = await edit({ method: addMethod(), model: own, requests: named(9) });
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = defineEditMethod<AddHparams, ToyModel>({
        ...addMethod(),
        async doEdit(context, m, requests, hparams) {
          await gate;
          return addMethod().doEdit(context, m, requests, hparams);
        },
      });
      const running = edit({ method: slow, model: own, requests: named(0) });
      const view = Object.create(own) as ToyModel;
      const overlapping = await edit({ method: addMethod(), model: view, requests: named(1) }).catch(
        (e: unknown) => e,
      );
      expect(overlapping).toBeInstanceOf(ConcurrentEditError);
      expect((overlapping as ConcurrentEditError).message).toContain(
        "while 'add-edit' edit of 'edit-0' is still running",
      );
      expect(() => done.revert()).toThrow(ConcurrentEditError);
      release();
      const first = await running;
      first.revert();
      done.revert();
      expect(own.bytes()).toEqual(before);
      // The lock is released after a failure too.
      await expect(
        edit({ method: addMethod({}, { throwAfterWrite: true }), model: own, requests: named(2) }),
      ).rejects.toThrow(EditError);
      const next = await edit({ method: addMethod(), model: own, requests: named(3) });
      next.revert();
      first.dispose();
      done.dispose();
      next.dispose();
      expect(own.bytes()).toEqual(before);
    });
  });
});
