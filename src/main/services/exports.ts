/**
 * Exported files waiting for their transport: the export is written to a private temp
 * folder on disk, and only an unguessable single-use id travels over the API. The headless
 * server streams it to the browser (GET /download/<id>); the desktop shell copies it to
 * where the user chose in the save dialog. Bounded: at most {@link MAX_WAITING} files wait,
 * each for at most the TTL; the oldest go first.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { EXPORT_TTL_MS } from '../../shared/api.ts';

/** An exported file handed to a transport (single use): stream or copy `path`, then `release()`. */
export interface ClaimedExport {
  path: string;
  fileName: string;
  mimeType: string;
  /** Delete the file (call once the transport is done with it). */
  release(): void;
}

/** Where exported files wait for their transport. */
export interface ExportSource {
  /** Take the file of an `exportId` (from exportSession's answer) out of the store; null if unknown or expired. */
  claim(exportId: string): ClaimedExport | null;
}

/** Files kept waiting at most. */
export const MAX_WAITING = 8;

interface Waiting {
  dir: string;
  path: string;
  fileName: string;
  mimeType: string;
  expiresAt: number;
}

/** The services' store of exported files. */
export class ExportFiles implements ExportSource {
  private files = new Map<string, Waiting>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = EXPORT_TTL_MS,
  ) {}

  /** Keep `path` (inside the temp folder `dir`, which is removed with it); returns its id. */
  add(dir: string, path: string, fileName: string, mimeType: string): string {
    this.expire();
    while (this.files.size >= MAX_WAITING) this.drop(this.files.keys().next().value as string);
    const id = randomBytes(16).toString('hex');
    this.files.set(id, { dir, path, fileName, mimeType, expiresAt: this.now() + this.ttlMs });
    return id;
  }

  /** Take a file out of the store (single use); null when unknown or expired. */
  claim(exportId: string): ClaimedExport | null {
    this.expire();
    const f = this.files.get(exportId);
    if (!f) return null;
    this.files.delete(exportId);
    let released = false;
    return {
      path: f.path,
      fileName: f.fileName,
      mimeType: f.mimeType,
      release: () => {
        if (released) return;
        released = true;
        rmSync(f.dir, { recursive: true, force: true });
      },
    };
  }

  /** Number of files waiting. */
  size(): number {
    return this.files.size;
  }

  /** Remove every waiting file. */
  clear(): void {
    for (const id of [...this.files.keys()]) this.drop(id);
  }

  private drop(id: string): void {
    const f = this.files.get(id);
    this.files.delete(id);
    if (f) rmSync(f.dir, { recursive: true, force: true });
  }

  private expire(): void {
    const t = this.now();
    for (const [id, f] of [...this.files]) if (f.expiresAt <= t) this.drop(id);
  }
}
