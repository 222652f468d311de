/**
 * Native save dialog for exports (the `saveFile` method in the desktop app; the
 * headless services answer `not-available` and the browser downloads instead).
 */
import { app, dialog, type BrowserWindow } from 'electron';
import { copyFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { err, ok, type Result } from '../../shared/api.ts';

const FILTERS: Record<string, { name: string; extensions: string[] }> = {
  '.csv': { name: 'CSV', extensions: ['csv'] },
  '.json': { name: 'JSON', extensions: ['json'] },
  '.db': { name: 'SQLite database', extensions: ['db', 'sqlite'] },
  '.sqlite': { name: 'SQLite database', extensions: ['sqlite', 'db'] },
  '.png': { name: 'PNG image', extensions: ['png'] },
};

/** Ask where to save `bytes` or the file at `path` (suggesting `fileName` in Downloads) and write it; null when the user cancels. */
export async function saveWithDialog(
  win: BrowserWindow | null,
  args: { fileName: string; bytes: Uint8Array } | { fileName: string; path: string },
): Promise<Result<{ path: string } | null>> {
  const suggested = basename(args.fileName).replace(/[\\/:*?"<>|]/g, '_') || 'export';
  const filter = FILTERS[extname(suggested).toLowerCase()];
  const options = {
    title: 'Export',
    defaultPath: join(app.getPath('downloads'), suggested),
    filters: filter ? [filter, { name: 'All files', extensions: ['*'] }] : [{ name: 'All files', extensions: ['*'] }],
  };
  const res = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (res.canceled || !res.filePath) return ok(null);
  try {
    if ('bytes' in args) await writeFile(res.filePath, args.bytes);
    else await copyFile(args.path, res.filePath);
    return ok({ path: res.filePath });
  } catch (e) {
    return err('internal', `Could not write ${res.filePath}: ${(e as Error).message}`);
  }
}
