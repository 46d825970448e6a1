/**
 * Go-style durations (`time.ParseDuration`), as ctr's `--timeout` takes them:
 * `500ms`, `5s`, `1m30s`, `1.5h`.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration string into milliseconds (possibly fractional or
 * negative). As in Go, `0` needs no unit and every other number does.
 *
 * @throws Error with a `time: invalid duration "…"`-style message when the text is not a duration.
 */
export function parseDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw invalid(text);
  let total = 0;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < rest.length) {
    const match = COMPONENT.exec(rest);
    if (match === null) throw invalid(text);
    const [, amount = "", unit = ""] = match;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw invalid(text);
  return sign * total;
}

/**
 * Parses a per-call timeout: a non-negative duration, rounded up to whole
 * milliseconds. `0` means no timeout and gives `undefined`.
 *
 * @throws Error when the text is not a duration or is negative.
 */
export function parseTimeout(text: string): number | undefined {
  const ms = parseDuration(text);
  if (ms < 0) throw new Error(`timeout must not be negative: "${text}"`);
  return ms === 0 ? undefined : Math.ceil(ms);
}

function invalid(text: string): Error {
  return new Error(`invalid duration "${text}" (expected e.g. 500ms, 5s, 1m30s)`);
}
