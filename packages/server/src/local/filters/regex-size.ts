/**
 * An upper estimate of the size of the RE2 program a pattern compiles to, read from the pattern's text
 * without compiling it: re2js spends about 5 µs per instruction compiling, and matching costs up to
 * (instructions × input length) steps, so a pattern like `a{1000}a{1000}…` must be refused before it
 * is compiled, not after.
 *
 * Every literal, class and escape counts as one instruction, `*`, `+` and `?` as two, a group as its
 * contents plus two, and a counted repetition `{n,m}` copies what it repeats `max(n, m)` times (`n + 1`
 * when unbounded), plus one instruction per optional copy. Constructs the estimate does not understand count as literals, which can only make the
 * estimate larger; re2js's own syntax errors are left to re2js.
 */
export function estimateRegexSize(pattern: string): number {
  const frames: Frame[] = [{ total: 0, last: 0 }];
  let i = 0;
  const add = (size: number) => {
    const frame = frames[frames.length - 1] as Frame;
    frame.total += size;
    frame.last = size;
  };
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === "\\") {
      i = skipEscape(pattern, i, add);
      continue;
    }
    if (ch === "[") {
      i = skipClass(pattern, i);
      add(1);
      continue;
    }
    if (ch === "(") {
      frames.push({ total: 0, last: 0 });
      i++;
      continue;
    }
    if (ch === ")" && frames.length > 1) {
      const group = frames.pop() as Frame;
      add(group.total + 2);
      i++;
      continue;
    }
    if (ch === "{") {
      const repeat = /^\{(\d{1,7})(,(\d{0,7}))?\}/.exec(pattern.slice(i, i + 17));
      if (repeat !== null) {
        const min = Number(repeat[1]);
        const max = repeat[2] === undefined ? min : repeat[3] === "" ? min + 1 : Number(repeat[3]);
        const copies = Math.max(min, max, 1);
        const frame = frames[frames.length - 1] as Frame;
        // The copies of the atom, plus one split per optional copy.
        frame.total += frame.last * (copies - 1) + Math.max(max - min, 0) + 1;
        frame.last *= copies;
        i += repeat[0].length;
        continue;
      }
    }
    if (ch === "*" || ch === "+" || ch === "?") {
      // A split and a jump; the repeated atom is not copied.
      (frames[frames.length - 1] as Frame).total += 2;
      i++;
      continue;
    }
    // `|` and literals: one instruction each.
    add(1);
    i++;
  }
  return PROGRAM_OVERHEAD + frames.reduce((sum, frame) => sum + frame.total, 0);
}

/** The instructions every program has: the unanchored-search loop, the whole-match capture and the match. */
const PROGRAM_OVERHEAD = 5;

interface Frame {
  /** Estimated instructions of the group so far. */
  total: number;
  /** Estimated instructions of the last atom, which a following repetition copies. */
  last: number;
}

/** Skips a backslash escape starting at `start`, counting its instructions; returns the index after it. */
function skipEscape(pattern: string, start: number, add: (size: number) => void): number {
  const kind = pattern[start + 1];
  if (kind === "Q") {
    // `\Q…\E` quotes literally: one instruction per character.
    const end = pattern.indexOf("\\E", start + 2);
    const stop = end === -1 ? pattern.length : end;
    for (let i = start + 2; i < stop; i++) add(1);
    return end === -1 ? pattern.length : end + 2;
  }
  add(1);
  if ((kind === "p" || kind === "P" || kind === "x") && pattern[start + 2] === "{") {
    const close = pattern.indexOf("}", start + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  return start + 2;
}

/** Skips a character class `[…]` starting at `start`; returns the index after its closing bracket. */
function skipClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "^") i++;
  // A `]` first in the class is a literal.
  if (pattern[i] === "]") i++;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "\\") i += 2;
    else if (ch === "[" && pattern[i + 1] === ":") {
      const close = pattern.indexOf(":]", i + 2);
      i = close === -1 ? i + 1 : close + 2;
    } else if (ch === "]") return i + 1;
    else i++;
  }
  return pattern.length;
}
