import { invalidArgument } from "../errdefs.js";
import { quoteInput } from "../go-quote.js";

/** Longest identifier in bytes, as in containerd's `identifiers` package. */
export const MAX_IDENTIFIER_LENGTH = 76;

const IDENTIFIER_PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const IDENTIFIER = new RegExp(IDENTIFIER_PATTERN);

/**
 * Checks a container id, namespace name or event topic component: 1–76 bytes of
 * ASCII letters and digits, optionally split by single `.`, `_` or `-`.
 *
 * @throws BerthError (invalid argument) with containerd's exact text.
 */
export function validateIdentifier(s: string): void {
  if (s === "") throw invalidArgument("identifier must not be empty");
  // The pattern admits only ASCII, so a valid identifier's length in UTF-16 units is its byte length.
  if (Buffer.byteLength(s, "utf8") > MAX_IDENTIFIER_LENGTH) {
    throw invalidArgument(
      `identifier ${quoteInput(s)} greater than maximum length (${MAX_IDENTIFIER_LENGTH} characters)`,
    );
  }
  if (!IDENTIFIER.test(s)) {
    throw invalidArgument(`identifier ${quoteInput(s)} must match ${IDENTIFIER_PATTERN}`);
  }
}
