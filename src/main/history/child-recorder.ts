/**
 * Test support: a process that records a synthetic session, used by
 * test/history-crash.test.ts (SIGKILL mid-session) and the full-disk test
 * (run under a file-size limit). Prints one line per event on stdout:
 *   `session <id>` once, `t <ms>` after each snapshot handed to the recorder,
 *   `error <message>` when recording stops, `alive` after that (the process
 *   keeps running), `done` at the end.
 * Mode `fast` records as fast as it can and prints `flushed <ms>` after each durable batch
 * of 10 snapshots (SIGKILL tests of long sessions).
 * Usage: node bin/run-ts.mjs src/main/history/child-recorder.ts <db> crash|fill|fast
 */
import { HistoryClient } from './client.ts';
import { SyntheticHostGen, syntheticEvent } from './testing.ts';

// Under a file-size limit the kernel sends SIGXFSZ on an oversized write; ignore it
// so the write fails with EFBIG (→ an SQLite error) instead of killing the process.
process.on('SIGXFSZ', () => {});

const [dbPath, mode] = process.argv.slice(2);
const say = (s: string): void => void process.stdout.write(s + '\n');

const client = await HistoryClient.open({ path: dbPath, repair: true });
const gen = new SyntheticHostGen({ cores: 16, vms: 16, queuesPerVm: 2, intervalMs: 100 });
const rec = await client.startRecording({ host: 'child', source: 'model', intervalMs: 100, policy: 'iocm' });
say(`session ${rec.sessionId}`);
rec.onError((m) => say(`error ${m}`));

if (mode === 'crash') {
  // Real time, 10 Hz, until killed.
  let i = 0;
  setInterval(() => {
    const s = gen.next();
    rec.record(s);
    if (i % 5 === 0) rec.recordEvent(syntheticEvent(s.t, i));
    i++;
    say(`t ${s.t}`);
  }, 100);
} else if (mode === 'fast') {
  // Simulated time as fast as possible, durable every 10 snapshots, until killed.
  for (;;) {
    let t = 0;
    for (let k = 0; k < 10; k++) {
      const s = gen.next();
      rec.record(s);
      if (s.seq % 5 === 0) rec.recordEvent(syntheticEvent(s.t, s.seq));
      t = s.t;
    }
    await rec.flush();
    say(`flushed ${t}`);
  }
} else {
  // As fast as possible until the disk (file-size limit) is full.
  for (let i = 0; i < 200_000 && !rec.error; i++) {
    rec.record(gen.next());
    if (i % 64 === 63) await rec.flush().catch(() => undefined);
  }
  await rec.flush().catch(() => undefined);
  // The process is still alive and responsive after the failure.
  await new Promise((r) => setTimeout(r, 50));
  say('alive');
  await rec.close().catch(() => undefined);
  await client.close().catch(() => undefined);
  say('done');
}
