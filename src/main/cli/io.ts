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
  let closed = false;
  (stream as unknown as Record<symbol, boolean>)[OUTPUT_OPTIONAL] = true;
  stream.on('error', () => {
    closed = true;
  });
  return {
    write(text: string): void {
      const w = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
      if (closed || w.destroyed || w.writableEnded) return;
      stream.write(text);
    },
    get closed() {
      return closed;
    },
  };
}
