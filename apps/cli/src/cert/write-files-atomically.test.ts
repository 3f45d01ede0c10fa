import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputFileError, writeFilesAtomically } from './write-files-atomically.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pushfleet-write-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFilesAtomically', () => {
  it('writes every file with mode 0600 and leaves no temporary file', async () => {
    await writeFilesAtomically([
      { path: join(dir, 'a.pem'), content: 'A' },
      { path: join(dir, 'b.pem'), content: 'B' },
    ]);
    expect(readdirSync(dir).sort()).toEqual(['a.pem', 'b.pem']);
    expect(readFileSync(join(dir, 'b.pem'), 'utf8')).toBe('B');
    expect(statSync(join(dir, 'a.pem')).mode & 0o777).toBe(0o600);
  });

  it('writes none when one of them fails', async () => {
    const files = [
      { path: join(dir, 'a.pem'), content: 'A' },
      { path: join(dir, 'missing-dir', 'b.pem'), content: 'B' },
    ];
    await expect(writeFilesAtomically(files)).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps an existing file unless forced, and refuses an output named twice', async () => {
    const path = join(dir, 'a.pem');
    writeFileSync(path, 'old');
    await expect(writeFilesAtomically([{ path, content: 'new' }])).rejects.toThrow(OutputFileError);
    expect(readFileSync(path, 'utf8')).toBe('old');
    await writeFilesAtomically([{ path, content: 'new' }], { force: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(
      writeFilesAtomically(
        [
          { path, content: '1' },
          { path: join(dir, '.', 'a.pem'), content: '2' },
        ],
        { force: true },
      ),
    ).rejects.toThrow(/named as more than one output/);
  });
});
