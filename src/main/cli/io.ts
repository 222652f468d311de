/** What a CLI command writes to: the process's streams, or a test's buffers. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Marks a stream whose reader may go away while the command keeps running (bin/iocm.mjs reads
 * it: without the mark, EPIPE on stdout or stderr ends the command quietly with 0).
 */
export const OUTPUT_OPTIONAL = Symbol.for('iocm.outputOptional');

/** A line writer that drops what it is given once its stream has gone away. */
export interface OptionalOutput {
  write(text: string): void;
  /** True once the reader went away (EPIPE) or the stream was closed. */
  readonly closed: boolean;
}

/**
 * For a long-running command (`iocm serve`): a reader that stops early (`iocm serve | head -1`
 * takes the URL and exits) or a closed terminal must not end it. EPIPE (or any write error) on
 * `stream` marks it closed; later writes are dropped. Other streams (a test's buffer) pass through.
 */
export function optionalOutput(stream: NodeJS.WritableStream): OptionalOutput {
  const known = optionalOf.get(stream);
  if (known) return known;
  let closed = false;
  (stream as unknown as Record<symbol, boolean>)[OUTPUT_OPTIONAL] = true;
  // A test's sink may be a bare { write }: it never fails.
  if (typeof stream.on === 'function') {
    stream.on('error', () => {
      closed = true;
    });
  }
  const output: OptionalOutput = {
    write(text: string): void {
      const w = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
      if (closed || w.destroyed || w.writableEnded) return;
      stream.write(text);
    },
    get closed() {
      return closed;
    },
  };
  optionalOf.set(stream, output);
  return output;
}

/** One writer a stream, however many parts of a command ask for it (one 'error' listener). */
const optionalOf = new WeakMap<NodeJS.WritableStream, OptionalOutput>();

/** What {@link untilShutdown} says, each line written to its log. */
export interface ShutdownWords {
  /** On the first signal (or an internal error): `why` is the signal's name or 'internal error'. */
  stopping(why: string): string;
  /** Once `stop` resolved. */
  stopped: string;
  /** When `stop` failed (exit 1). */
  failed(message: string): string;
  /** Each line's prefix ('' or 'iocm agent: '). */
  prefix?: string;
}

/**
 * A long-running command (`iocm serve`, `iocm agent`) waits here for its end: SIGINT, SIGTERM or
 * SIGHUP (a closed terminal) calls `stop` once and resolves with 0 once it finished (1 if it
 * failed); a second signal exits at once with 130, without a clean shutdown. An uncaught error
 * is written to `log` and shuts down the same way, then exit 1. Pair it with
 * {@link optionalOutput}: a reader that went away must not end the command before `stop` ran.
 */
export function untilShutdown(log: OptionalOutput, stop: () => Promise<void>, words: ShutdownWords): Promise<number> {
  const say = (line: string): void => log.write(`${words.prefix ?? ''}${line}\n`);
  return new Promise<number>((resolveExit) => {
    let signalled = false;
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const shutdown = (why: string, code: number): void => {
      say(words.stopping(why));
      stop()
        .then(() => {
          say(words.stopped);
          resolveExit(code);
        })
        .catch((e: unknown) => {
          say(words.failed((e as Error)?.message ?? String(e)));
          resolveExit(1);
        })
        .finally(() => {
          for (const s of signals) process.off(s, onSignal);
          process.off('uncaughtException', onFatal);
        });
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        say(`second ${sig}: exiting without a clean shutdown`);
        process.exit(130);
      }
      signalled = true;
      shutdown(sig, 0);
    };
    // An internal failure still runs `stop` (the session ended, the host restored) before exit 1.
    const onFatal = (e: unknown): void => {
      say(`internal error: ${(e as Error)?.stack ?? String(e)}`);
      if (signalled) process.exit(1);
      signalled = true;
      shutdown('internal error', 1);
    };
    for (const s of signals) process.on(s, onSignal);
    process.on('uncaughtException', onFatal);
  });
}
