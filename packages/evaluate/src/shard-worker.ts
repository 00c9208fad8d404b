// Worker-thread entry of the parallel evaluation: builds its own backend and model from the weights it is
// sent, evaluates its shard and posts the output back (reference/perf.md section 8, recommendation 4).
import { parentPort } from 'node:worker_threads';
import { type BackendName, initBackend, postedError } from '@llmedit/core';
import { createModel, fromTokenizerJson } from '@llmedit/models';
import { runSuites, settingsOf } from './evaluate.js';
import type { ShardReply, ShardTask } from './parallel.js';

const port = parentPort;
if (port === null) throw new Error('shard-worker must run in a worker thread');

port.once('message', async (task: ShardTask) => {
  let reply: ShardReply;
  try {
    await initBackend({ prefer: [task.backend as BackendName] });
    const tokenizer = task.tokenizer === undefined ? undefined : fromTokenizerJson(task.tokenizer);
    const model = createModel(task.config, new Map(task.weights), tokenizer);
    const output = runSuites(model, task.requests, task.options, settingsOf(task.options), task.mode);
    model.dispose();
    reply = { ok: true, output };
  } catch (error) {
    reply = { ok: false, error: postedError(error) };
  }
  port.postMessage(reply);
});
