import { describe, expect, it } from "vitest";
import { withoutPaths } from "../../src/errdefs.js";

describe("withoutPaths", () => {
  it.each([
    [
      "IO error: /var/lib/berth/db/000003.log: No space left on device",
      "IO error: 000003.log: No space left on device",
    ],
    ["open /tmp/x/y/LOCK failed", "open LOCK failed"],
    ["(IO error: /a/b.ldb)", "(IO error: b.ldb)"],
    ['path "/run/berth/berth.sock"', 'path "berth.sock"'],
  ])("cuts %s to its file names", (message, expected) => {
    expect(withoutPaths(message)).toBe(expected);
  });

  it.each(['identifier "a/b" must match', "labels.io/name==x", "container id 1/2", "no paths here"])(
    "keeps %s",
    (message) => {
      expect(withoutPaths(message)).toBe(message);
    },
  );
});
