import { DatasetError } from '../errors.js';

/**
 * A procedural scene request cannot be served (a seed outside uint32, an invalid scene, a split asked for more
 * seeds than it holds). It is a DatasetError so callers that already catch dataset failures catch these too;
 * `subject` names what was rejected (a seed, a split, an image id).
 */
export class SceneError extends DatasetError {
  constructor(
    readonly subject: string,
    message: string,
  ) {
    super(subject, message);
  }
}

/** A string that is not a canonical scene image id (`scene/<seed>/<view>`); the message names the id. */
export class SceneImageIdError extends SceneError {
  constructor(
    readonly id: string,
    reason: string,
  ) {
    super(id, `not a scene image id (${reason}); expected 'scene/<seed>/<view>' with decimal integers`);
  }
}
