import type { RecordResult } from './protocol.js';

/** What the unedited model did on one request: the reference of locality, and the "pre" row of tables. */
export interface PreEditRecord {
  /** Content key of the request (`requestKey`: everything but its id). */
  key: string;
  /** `modelId` of the unedited model. */
  modelId: string;
  /** Argmax ids at the ground-truth positions of every locality probe: [locality key][probe][token]. */
  localityArgmax: Record<string, number[][]>;
  /** Pre-edit values of the requested metrics; locality is omitted (it is defined against this model). */
  result: RecordResult;
}

/**
 * Pre-edit values keyed by (model id, evaluation settings, request content), so that each is computed once
 * per model however many methods, modes or seeds are then evaluated against it. A model edited in place
 * keeps its `modelId` (the hash of the weights as loaded), so post-edit evaluation finds the entries of the
 * original model: fill the cache *before* editing.
 */
export class PreEditCache {
  private readonly entries = new Map<string, PreEditRecord>();
  private readonly locality = new Map<string, Record<string, number[][]>>();

  get size(): number {
    return this.entries.size;
  }

  /** @internal */
  get(modelId: string, settings: string, key: string): PreEditRecord | undefined {
    return this.entries.get(`${modelId}\u0000${settings}\u0000${key}`);
  }

  /** @internal */
  set(settings: string, record: PreEditRecord, localitySettings: string | undefined): void {
    this.entries.set(`${record.modelId}\u0000${settings}\u0000${record.key}`, record);
    // Only runs that computed locality (the easyedit suite) may define the locality reference.
    if (localitySettings !== undefined) {
      this.locality.set(
        `${record.modelId}\u0000${localitySettings}\u0000${record.key}`,
        record.localityArgmax,
      );
    }
  }

  /** @internal Pre-edit locality argmax of a request, whatever the other settings were. */
  localityArgmax(
    modelId: string,
    localitySettings: string,
    key: string,
  ): Record<string, number[][]> | undefined {
    return this.locality.get(`${modelId}\u0000${localitySettings}\u0000${key}`);
  }

  clear(): void {
    this.entries.clear();
    this.locality.clear();
  }
}
