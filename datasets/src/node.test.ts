import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import {
  DATA_FILES,
  type DataFileName,
  dataDir,
  datasetPath,
  loadCounterFactEasyEditFile,
  loadCounterFactFile,
  loadKnownFactsFile,
  loadMMEditFile,
  loadMquakeFile,
  loadZsreFile,
  readJsonFile,
} from './node.js';

interface ManifestEntry {
  file: string;
  records_kept: number;
  sha256: string;
}

const manifest = readJsonFile(datasetPath('MANIFEST.json')) as ManifestEntry[];

const loaders: Record<DataFileName, (path: string) => { records: unknown[] }> = {
  counterfact: loadCounterFactFile,
  counterfactEasyEdit: loadCounterFactEasyEditFile,
  counterfactSubjectReplace: loadCounterFactFile,
  counterfactDistractingNeighbor: loadCounterFactFile,
  zsre: loadZsreFile,
  zsreSubjectReplace: loadZsreFile,
  zsreInverseRelation: loadZsreFile,
  mquakeHard: loadMquakeFile,
  mmeditVqa: loadMMEditFile,
  mmeditCaption: loadMMEditFile,
  known1000: loadKnownFactsFile,
};

describe('shipped data', () => {
  it('ships every file of MANIFEST.json byte for byte (sha256) and names each in DATA_FILES', () => {
    expect(manifest).toHaveLength(11);
    expect(Object.values(DATA_FILES).sort()).toEqual(manifest.map((m) => m.file).sort());
    for (const entry of manifest) {
      const hash = createHash('sha256')
        .update(readFileSync(datasetPath(entry.file)))
        .digest('hex');
      expect(hash, entry.file).toBe(entry.sha256);
    }
  });

  it.each(Object.entries(DATA_FILES) as [DataFileName, string][])(
    '%s loads strictly with the record count of PROVENANCE/MANIFEST',
    (name, file) => {
      const expected = manifest.find((m) => m.file === file)!.records_kept;
      expect(loaders[name](datasetPath(name)).records).toHaveLength(expected);
    },
  );

  it('maps the first known fact of known_1000.json', () => {
    expect(loadKnownFactsFile(datasetPath('known1000')).records[0]).toEqual({
      knownId: 0,
      subject: 'Vinson Massif',
      attribute: 'Antarctica',
      template: '{} is located in the continent',
      prediction: ' of Antarctica. It is the largest of the three',
      prompt: 'Vinson Massif is located in the continent of',
      relationId: 'P30',
    });
  });
});

describe('datasetPath and file reading', () => {
  it('resolves short names and relative paths inside the data folder', () => {
    expect(datasetPath('zsre')).toBe(join(dataDir(), 'zsre/zsre_mend_eval_portability_gpt4.json'));
    expect(datasetPath('splits/zsre.eval.json')).toBe(join(dataDir(), 'splits', 'zsre.eval.json'));
    expect(readFileSync(join(dataDir(), 'PROVENANCE.md'), 'utf8')).toContain('provenance');
  });

  it('refuses paths outside the data folder', () => {
    expect(() => datasetPath('../package.json')).toThrow(DatasetError);
    expect(() => datasetPath('/etc/passwd')).toThrow(DatasetError);
    expect(() => datasetPath('')).toThrow(DatasetError);
  });

  it('turns missing files and invalid JSON into DatasetError, and names the file in record errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmedit-datasets-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{"case_id": 1,');
    expect(() => readJsonFile(broken)).toThrow(/broken\.json: is not valid JSON/);
    expect(() => readJsonFile(join(dir, 'missing.json'))).toThrow(DatasetError);
    const bad = join(dir, 'my_zsre.json');
    writeFileSync(
      bad,
      JSON.stringify([{ subject: 's', src: 'q s?', rephrase: 'r', alt: '', answers: ['a'] }]),
    );
    expect(() => loadZsreFile(bad)).toThrow("my_zsre.json record 0: field 'alt' must be a non-empty string");
    expect(() => loadZsreFile(bad, { file: 'other.json' })).toThrow('other.json record 0:');
  });

  it('reads a JSON file saved with a UTF-8 byte order mark', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmedit-datasets-'));
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\uFEFF${JSON.stringify([{ a: 1 }])}`, 'utf8');
    expect(readJsonFile(file)).toEqual([{ a: 1 }]);
  });
});
