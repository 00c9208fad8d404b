// A trained editor's saved form, as types (browser-safe): the Node entry reads and writes it as a folder
// (artifact-files.ts), a page fetches it (artifact-kind.ts `loadFrom`).

/** Host copies of tensors, by name: a trained editor's saved form. */
export type HostTensors = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * A trained editor's folder: `<configFile>` (JSON with `format`, `version`, `baseModelId`, hyperparameters and
 * the training report) and `<tensorsFile>` (safetensors). `fail` builds the method's typed error.
 */
export interface ArtifactLayout {
  readonly format: string;
  readonly version: number;
  readonly configFile: string;
  readonly tensorsFile: string;
  /** The command that trains one, for the messages. */
  readonly trainCommand: string;
  readonly fail: (dir: string, message: string) => Error;
}
