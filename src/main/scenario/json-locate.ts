/**
 * Locating a JSON syntax error. `JSON.parse` in Node 20 does not always say
 * where it failed ("Unexpected token 'x', ... is not valid JSON"), so when it
 * throws we re-scan the text with this small strict JSON scanner to report a
 * line, a column and what was expected there. Only used on the error path.
 */

/** Where and why a JSON text is invalid. */
export interface JsonSyntaxProblem {
  /** 0-based offset into the text. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column (in UTF-16 code units). */
  column: number;
  /** What was expected, in words. */
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function show(ch: string | undefined): string {
  if (ch === undefined) return 'end of input';
  if (ch === '\n') return 'a line break';
  return `'${ch}'`;
}

/** Scan `text` as strict JSON; return the first problem, or null if it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    const ch = text[i];
    let found = show(ch);
    if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) found += ' (JSON has no comments)';
    if (ch === "'") found += ' (JSON strings use double quotes)';
    throw new Stop(i, `expected ${what}, found ${found}`);
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) throw new Stop(i, 'unterminated string: expected \'"\', found end of input');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw new Stop(i, 'control character inside a string (escape line breaks as \\n)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'bad \\u escape: expected 4 hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new Stop(i, `bad escape ${show(e === undefined ? undefined : '\\' + e)}`);
      } else i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 512) throw new Stop(i, 'nesting too deep');
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a double-quoted property name');
        str();
        ws();
        if (text[i] !== ':') fail("':' after a property name");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('a property after \',\' (trailing commas are not allowed)');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("',' or '}' after a property value");
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('a value after \',\' (trailing commas are not allowed)');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("',' or ']' after an array element");
      }
    }
    if (ch === '"') return str();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) fail('a number');
      i += m![0].length;
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    fail('a value (object, array, string, number, true, false or null)');
  };
  try {
    value(0);
    ws();
    if (i < n) throw new Stop(i, `unexpected ${show(text[i])} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const { line, column } = lineColumn(text, e.offset);
    return { offset: e.offset, line, column, message: e.message };
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** JSON text that does not parse, with where (1-based line and column) and why, in words. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly line: number,
    readonly column: number,
    /** What was expected there and what was found, e.g. "expected ',' or '}' after a property value, found '6'". */
    readonly detail: string,
  ) {
    super(`${line}:${column}: invalid JSON: ${detail}`);
  }

  /** The one-line report for a file or flag: `LABEL:LINE:COLUMN: invalid JSON: WHAT` (as a compiler says it). */
  at(label: string): string {
    return `${label}:${this.message}`;
  }
}

/**
 * `JSON.parse` of a user's file (a leading byte-order mark is skipped); a syntax error is thrown as
 * a {@link JsonSyntaxError} with the line, column and what was expected there — never V8's raw
 * message, which names only an offset and may quote the text across lines.
 */
export function parseJsonText(json: string): unknown {
  const text = json.charCodeAt(0) === 0xfeff ? json.slice(1) : json;
  try {
    return JSON.parse(text);
  } catch (e) {
    const p = locateJsonError(text);
    if (p) throw new JsonSyntaxError(p.line, p.column, p.message);
    // The scanner found nothing (should not happen): V8's message, on one line, at its position if any.
    const m = /position (\d+)/.exec((e as Error).message);
    const lc = lineColumn(text, m ? Number(m[1]) : text.length);
    throw new JsonSyntaxError(lc.line, lc.column, (e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}
