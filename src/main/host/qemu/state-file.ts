/**
 * The QEMU driver's state file: the placement and polling of every VM as they were before the
 * driver's first change, written before that change is made. A driver that dies without
 * restoring (SIGKILL, a crash, power to the agent cut) leaves it behind; the next driver on the
 * same file finds each VM still running (same socket, same QEMU pid, same process start time,
 * so a reused pid never matches) and puts it back. A clean restore removes the file.
 *
 * The file is input like any other: a damaged or foreign file is reported and ignored, never
 * trusted (only thread ids of the matching QEMU process are ever touched).
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { makeDirs } from '../../util/fs.ts';

/** Poll settings of one IOThread. */
export interface SavedPoll {
  maxNs: number;
  grow: number;
  shrink: number;
}

/** What the file keeps of one VM. */
export interface SavedVm {
  /** QMP socket path (the VM's key). */
  key: string;
  pid: number;
  /** The QEMU process's start time, ticks after boot (/proc/PID/stat field 22). */
  startTime: number;
  /** Thread id → CPU list before the first change (absent: no placement change yet). */
  affinity: [number, number[]][] | null;
  /** IOThread id → poll settings before the first change. */
  poll: [string, SavedPoll][];
}

const MAX_BYTES = 4 * 1024 * 1024;
const uint = z.number().int().nonnegative();
const pollSchema = z.strictObject({ maxNs: z.number().nonnegative().finite(), grow: z.number().nonnegative().finite(), shrink: z.number().nonnegative().finite() });
const fileSchema = z.strictObject({
  version: z.literal(1),
  vms: z
    .array(
      z.strictObject({
        key: z.string().min(1).max(4096),
        pid: uint.min(1),
        startTime: uint,
        affinity: z.array(z.tuple([uint.min(1), z.array(uint.max(65535)).min(1).max(4096)])).max(65536).nullable(),
        poll: z.array(z.tuple([z.string().min(1).max(256), pollSchema])).max(4096),
      }),
    )
    .max(4096),
});

/** Reads the state file: its VMs, none when it does not exist; throws Error naming what is wrong with a damaged one. */
export async function readStateFile(path: string): Promise<SavedVm[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read the state file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (text.length > MAX_BYTES) throw new Error(`the state file ${path} is larger than ${MAX_BYTES} bytes: not one of ours`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`the state file ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`the state file ${path} is not a QEMU driver state file: ${i.path.join('.') || 'top level'}: ${i.message}`);
  }
  return r.data.vms;
}

/** Writes the state file atomically (a temporary file renamed over it); an empty list removes it. */
export async function writeStateFile(path: string, vms: readonly SavedVm[]): Promise<void> {
  if (vms.length === 0) {
    await rm(path, { force: true });
    return;
  }
  // makeDirs, not a recursive mkdir: that spins forever under /proc (an agent given --state-file /proc/x/s.json hung).
  makeDirs(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ version: 1, vms }, null, 1) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}
