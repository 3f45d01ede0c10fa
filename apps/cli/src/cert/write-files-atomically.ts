import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** One file to write. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

/** Options of {@link writeFilesAtomically}. */
export interface WriteFilesOptions {
  /** Replace files that exist. @defaultValue `false` */
  readonly force?: boolean;
  /** @defaultValue `0o600` */
  readonly mode?: number;
}

/** A file exists and `force` was not given, or an output is named twice. */
export class OutputFileError extends Error {
  override readonly name = 'OutputFileError';
}

/**
 * Write every file or none: each is written to a temporary name in its own directory (mode 0600), flushed,
 * then moved into place; without `force` an existing file is never replaced (checked before anything is
 * written, and again atomically by `link`). On a failure the temporary files are removed, and so are files this
 * call created, so nothing half-written is left behind.
 */
export async function writeFilesAtomically(
  files: readonly OutputFile[],
  options: WriteFilesOptions = {},
): Promise<void> {
  const force = options.force ?? false;
  const mode = options.mode ?? 0o600;
  const seen = new Set<string>();
  for (const file of files) {
    const path = resolve(file.path);
    if (seen.has(path)) throw new OutputFileError(`${file.path}: named as more than one output`);
    seen.add(path);
    if (!force && (await exists(path)))
      throw new OutputFileError(`${file.path}: exists; pass --force to replace it`);
  }

  const staged: { temp: string; path: string; display: string }[] = [];
  const created: string[] = [];
  try {
    for (const file of files) {
      const path = resolve(file.path);
      const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
      staged.push({ temp, path, display: file.path });
      const handle = await open(temp, 'wx', mode);
      try {
        await handle.chmod(mode);
        await handle.writeFile(file.content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const { temp, path, display } of staged) {
      if (force) await rename(temp, path);
      else await linkNew(temp, path, display);
      created.push(path);
    }
  } catch (error) {
    await Promise.all(staged.map(({ temp }) => unlink(temp).catch(() => {})));
    if (!force) await Promise.all(created.map((path) => unlink(path).catch(() => {})));
    throw error;
  }
}

/** Move `temp` to `path` unless `path` exists (link fails with EEXIST), then drop `temp`. */
async function linkNew(temp: string, path: string, display: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputFileError(`${display}: exists; pass --force to replace it`);
    // File systems without hard links: fall back to check-then-rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    if (await exists(path)) throw new OutputFileError(`${display}: exists; pass --force to replace it`);
    await rename(temp, path);
    return;
  }
  await unlink(temp);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
