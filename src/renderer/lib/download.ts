/**
 * Saving bytes from the renderer: through the host's native save dialog when it
 * has one (Electron), otherwise as a browser download.
 */
import type { IocmApi } from '../../shared/api.ts';

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

/** Decode a data: URL (e.g. ECharts' getDataURL) to bytes. */
export function dataUrlBytes(dataUrl: string): Uint8Array {
  const b64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
