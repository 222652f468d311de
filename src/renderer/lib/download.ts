/**
 * Saving bytes from the renderer: through the host's native save dialog when it
 * has one (Electron), otherwise as a browser download.
 */
import type { ExportFile, IocmApi } from '../../shared/api.ts';

/** Start a browser download of `bytes` named `fileName`. */
export function browserDownload(fileName: string, bytes: Uint8Array, mimeType: string): void {
  const blob = new Blob([bytes as BlobPart], { type: mimeType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Save through the host (native dialog) or, if it cannot, download. Returns where it went. */
export async function saveBytes(api: IocmApi, fileName: string, bytes: Uint8Array, mimeType: string): Promise<string> {
  const r = await api.saveFile({ fileName, bytes });
  if (r.ok) return r.value ? `Saved to ${r.value.path}` : 'Save cancelled';
  if (r.error.code !== 'not-available') throw new Error(r.error.message);
  browserDownload(fileName, bytes, mimeType);
  return `Downloaded ${fileName}`;
}

/**
 * Save an exported file: the desktop app copies it from the host's disk to where the user
 * chooses (native dialog); a browser downloads it natively from the headless server's
 * single-use URL (/download/<exportId>), streamed from disk, so its size never matters.
 */
export async function saveExport(api: IocmApi, file: ExportFile): Promise<string> {
  const r = await api.saveFile({ exportId: file.exportId, fileName: file.fileName });
  if (r.ok) return r.value ? `Saved to ${r.value.path}` : 'Save cancelled';
  if (r.error.code !== 'not-available') throw new Error(r.error.message);
  const a = document.createElement('a');
  a.href = `/download/${encodeURIComponent(file.exportId)}`;
  a.download = file.fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  return `Downloaded ${file.fileName}`;
}

/** Decode a data: URL (e.g. ECharts' getDataURL) to bytes. */
export function dataUrlBytes(dataUrl: string): Uint8Array {
  const b64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
