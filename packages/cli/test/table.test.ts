import { describe, expect, it } from "vitest";
import {
  CTR_COMPACT_TABWRITER,
  CTR_TABWRITER,
  formatTable,
  formatTabwriter,
  type TabwriterOptions,
} from "../src/format/table.js";

const spaces = (minWidth: number, padding: number): TabwriterOptions => ({
  minWidth,
  tabWidth: 8,
  padding,
  padChar: " ",
});

describe("formatTable with ctr's settings", () => {
  it("matches `ctr c ls` of containerd 1.6.20 byte for byte", () => {
    // Captured from Debian's ctr 1.6.20 (`ctr c ls | cat -A`): every cell, the last included, is padded.
    const rows = [
      ["CONTAINER", "IMAGE", "RUNTIME"],
      ["b1", "docker.io/library/busybox:latest", "io.containerd.runc.v2"],
      ["c2", "-", "io.containerd.runc.v2"],
      ["longcontainername-xyz", "-", "io.containerd.runc.v2"],
    ];
    expect(formatTable(rows)).toBe(
      [
        "CONTAINER                IMAGE                               RUNTIME                  ",
        "b1                       docker.io/library/busybox:latest    io.containerd.runc.v2    ",
        "c2                       -                                   io.containerd.runc.v2    ",
        "longcontainername-xyz    -                                   io.containerd.runc.v2    ",
        "",
      ].join("\n"),
    );
  });

  it("prints only the padded header for an empty list", () => {
    expect(formatTable([["CONTAINER", "IMAGE", "RUNTIME"]])).toBe("CONTAINER    IMAGE    RUNTIME    \n");
  });

  it("uses minwidth 4, tabwidth 8, padding 4 and spaces", () => {
    expect(CTR_TABWRITER).toEqual({ minWidth: 4, tabWidth: 8, padding: 4, padChar: " " });
  });

  it("uses minwidth 1 and padding 1 for ns ls and leases ls", () => {
    expect(CTR_COMPACT_TABWRITER).toEqual({ minWidth: 1, tabWidth: 8, padding: 1, padChar: " " });
  });
});

describe("formatTabwriter (Go text/tabwriter semantics)", () => {
  const cases: { name: string; text: string; options: TabwriterOptions; want: string }[] = [
    { name: "empty input", text: "", options: spaces(0, 1), want: "" },
    { name: "minwidth wins over short cells", text: "a\tb\t\n", options: spaces(4, 1), want: "a   b   \n" },
    {
      name: "text after the last tab of a line is not a column",
      text: "a\tbbbbbb\tc\naaa\tb\n",
      options: spaces(0, 1),
      want: "a   bbbbbb c\naaa b\n",
    },
    {
      name: "a line without tabs ends the column block",
      text: "aaaa\tb\nx\nyy\tz\n",
      options: spaces(0, 1),
      want: "aaaa b\nx\nyy z\n",
    },
    {
      name: "a column block spans only the lines that have that column",
      text: "a\tb\tc\nxxxxx\tyyyyy\n1\t2\t3\n",
      options: spaces(0, 1),
      want: "a     b c\nxxxxx yyyyy\n1     2 3\n",
    },
    { name: "no trailing newline", text: "a\tb", options: spaces(0, 1), want: "a b" },
    { name: "empty cells are padded", text: "\tx\t\n", options: spaces(2, 1), want: "  x \n" },
    {
      name: "widths count code points, not UTF-16 units or bytes",
      text: "héllo\tx\t\n日本\ty\t\n🙂\tz\t\n",
      options: spaces(0, 2),
      want: "héllo  x  \n日本     y  \n🙂      z  \n",
    },
    {
      // The example of Go's package documentation: Init(os.Stdout, 0, 8, 0, '\t', 0).
      name: "tab padding rounds cells up to tab stops",
      text: "a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n",
      options: { minWidth: 0, tabWidth: 8, padding: 0, padChar: "\t" },
      want: "a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n",
    },
  ];

  for (const { name, text, options, want } of cases) {
    it(name, () => {
      expect(formatTabwriter(text, options)).toBe(want);
    });
  }
});
