import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArtifactCommand } from './artifact-command.js';

describe('parseArtifactCommand (pnpm --filter @llmedit/<mend|ke|serac> train)', () => {
  const packageDir = mkdtempSync(join(tmpdir(), 'llmedit-artifact-cmd-'));
  afterAll(() => rmSync(packageDir, { recursive: true, force: true }));

  it('refuses to replace a (committed) artifact without --force, before anything is trained', () => {
    const committed = join(packageDir, 'artifacts', 'default');
    mkdirSync(committed, { recursive: true });
    writeFileSync(join(committed, 'artifact.json'), '{}');
    expect(() => parseArtifactCommand({ packageDir }, [])).toThrow(/--force.*artifacts[/\\]default/);
    expect(parseArtifactCommand({ packageDir }, ['--force'])).toMatchObject({
      outDir: committed,
      force: true,
    });
  });

  it('writes to an empty or new --out folder, and answers --help', () => {
    const elsewhere = join(packageDir, 'elsewhere');
    expect(parseArtifactCommand({ packageDir }, ['--out', elsewhere])).toMatchObject({ outDir: elsewhere });
    expect(parseArtifactCommand({ packageDir }, ['--model', 'micro'])).toMatchObject({
      outDir: join(packageDir, 'artifacts', 'micro'),
    });
    expect(parseArtifactCommand({ packageDir }, ['--help'])).toEqual({ help: true });
  });
});
