// The edits applied to one model, as a stack, so that `revert()` is exact or refused (never silently
// wrong) and overlapping `edit()` calls are refused instead of corrupting each other's rollback.
import { LlmeditError } from './errors/index.js';
import type { EditableModel } from './model.js';

/**
 * `edit()` was called (or a result reverted) while another `edit()` call on the same model was still
 * running. Each call snapshots the weights when it starts and restores that snapshot when it fails, so
 * two overlapping calls would erase each other's edits; await one before starting the next.
 */
export class ConcurrentEditError extends LlmeditError {
  constructor(
    readonly attempted: string,
    readonly running: string,
  ) {
    super(
      'CONCURRENT_EDIT',
      `${attempted} while ${running} is still running on the same model; await it first (edits of one ` +
        'model must not overlap)',
    );
  }
}

/**
 * `revert()` of an edit that later, still applied, weight edits sit on top of. A result's revert restores
 * the weights it started from, which would also remove those later edits (their results would still
 * claim to be applied), so it is refused: `revertFirst` lists the later edits, newest first, to revert
 * before this one. `permanent` is true when one of them was disposed without `revert()`: its change can
 * no longer be undone, so neither can this edit.
 */
export class EditOrderError extends LlmeditError {
  constructor(
    readonly edit: string,
    readonly revertFirst: readonly string[],
    readonly permanent: boolean,
  ) {
    super(
      'EDIT_ORDER',
      permanent
        ? `cannot revert ${edit}: ${revertFirst.join(', ')} changed the weights after it and was disposed ` +
            'without revert(), so the weights it started from are gone'
        : `cannot revert ${edit} before the later weight edits on the same model: revert ` +
            `${revertFirst.join(', then ')} first (newest first)`,
    );
  }
}

/** One successful `edit()` call whose edits are still applied. */
export interface StackEntry {
  /** Names the call in errors: method, requests. */
  readonly label: string;
  /** Whether it changed any weight (memory or in-context edits do not, and never block a revert). */
  readonly touchesWeights: boolean;
}

interface EditStack {
  /** Label of the `edit()` call in flight, if any. */
  running: string | undefined;
  /** Applied edits, oldest first. */
  readonly entries: StackEntry[];
}

const stacks = new WeakMap<object, EditStack>();
/** Entries cut off the stack by a weight edit disposed above them: the label of that edit. */
const blockedBy = new WeakMap<StackEntry, string>();

/**
 * Wrappers of memory-based and in-context methods delegate their weights to the base model, and a
 * weight's Variable keeps its identity across `setWeight` (it is assigned, not replaced), so the first
 * weight identifies the weight storage that every view of one model shares.
 */
function stackOf(model: EditableModel): EditStack {
  const [first] = model.weightNames();
  const key: object = first === undefined ? model : model.weight(first);
  let stack = stacks.get(key);
  if (stack === undefined) {
    stack = { running: undefined, entries: [] };
    stacks.set(key, stack);
  }
  return stack;
}

/** Mark an `edit()` call as running on the model; the returned function ends it. */
export function beginEdit(model: EditableModel, label: string): () => void {
  const stack = stackOf(model);
  if (stack.running !== undefined) throw new ConcurrentEditError(label, stack.running);
  stack.running = label;
  return () => {
    stack.running = undefined;
  };
}

/** Record a successful call's edits as applied (on top of every earlier one). */
export function pushEdit(model: EditableModel, entry: StackEntry): void {
  stackOf(model).entries.push(entry);
}

/**
 * Throw unless `entry` can be reverted exactly now: no `edit()` in flight on the model, and no later
 * weight edit still applied on top of it (nor a disposed one that made its starting weights permanent).
 */
export function checkRevertible(model: EditableModel, entry: StackEntry): void {
  const stack = stackOf(model);
  if (stack.running !== undefined) {
    throw new ConcurrentEditError(`revert() of ${entry.label}`, stack.running);
  }
  const at = stack.entries.indexOf(entry);
  if (at < 0) {
    // Only an entry that a disposed weight edit above it cut off the stack is missing.
    throw new EditOrderError(entry.label, [blockedBy.get(entry) ?? 'a later edit'], true);
  }
  const later = stack.entries.slice(at + 1).filter((e) => e.touchesWeights);
  if (later.length > 0) {
    throw new EditOrderError(
      entry.label,
      later.reverse().map((e) => e.label),
      false,
    );
  }
}

/** Remove a reverted entry. */
export function popEdit(model: EditableModel, entry: StackEntry): void {
  const stack = stackOf(model);
  const at = stack.entries.indexOf(entry);
  if (at >= 0) stack.entries.splice(at, 1);
}

/**
 * A result was disposed without revert: its edits are permanent. A weight edit makes every entry below
 * it irreversible (they are dropped, and their `revert()` names this one); a memory edit just leaves.
 */
export function settleEdit(model: EditableModel, entry: StackEntry): void {
  const stack = stackOf(model);
  const at = stack.entries.indexOf(entry);
  if (at < 0) return;
  if (!entry.touchesWeights) {
    stack.entries.splice(at, 1);
    return;
  }
  for (const below of stack.entries.splice(0, at + 1)) blockedBy.set(below, entry.label);
}
