/**
 * A port of the column layout of Go's `text/tabwriter` (flags 0), so tables
 * line up exactly as ctr's. Cells are tab-terminated; the text after a line's
 * last tab is not part of any column. Consecutive lines that have a cell in a
 * column form a block, and each block is as wide as its widest cell plus padding.
 */

/** The parameters of Go's `tabwriter.NewWriter(output, minwidth, tabwidth, padding, padchar, 0)`. */
export interface TabwriterOptions {
  /** Minimal cell width, padding included. */
  readonly minWidth: number;
  /** Width of a tab character; used only when `padChar` is `"\t"`. */
  readonly tabWidth: number;
  /** Added to the widest cell of each column block. */
  readonly padding: number;
  /** `" "` pads with spaces; `"\t"` pads with tabs (cells then end on tab stops). */
  readonly padChar: " " | "\t";
}

/**
 * ctr's table settings: `tabwriter.NewWriter(os.Stdout, 4, 8, 4, ' ', 0)`
 * (containerd 1.6.20, `cmd/ctr/commands/containers`, checked against Debian's ctr).
 */
export const CTR_TABWRITER: TabwriterOptions = { minWidth: 4, tabWidth: 8, padding: 4, padChar: " " };

/**
 * The tighter settings of `ctr namespaces ls` and `ctr leases ls`:
 * `tabwriter.NewWriter(os.Stdout, 1, 8, 1, ' ', 0)` (containerd 1.6.20, checked against Debian's ctr).
 */
export const CTR_COMPACT_TABWRITER: TabwriterOptions = { minWidth: 1, tabWidth: 8, padding: 1, padChar: " " };

/**
 * Lays out `text` as Go's tabwriter would after `Write(text)` and `Flush()`.
 * Handles `\t` (cell end) and `\n` (line end); widths count Unicode code
 * points, as Go counts runes.
 */
export function formatTabwriter(text: string, options: TabwriterOptions): string {
  const lines = text.split("\n").map((line) => line.split("\t"));
  const out: string[] = [];
  format(lines, [], 0, lines.length, options, out);
  return out.join("");
}

/**
 * Formats rows the way ctr prints them: every cell followed by a tab, every
 * row by a newline, then laid out by {@link formatTabwriter}.
 */
export function formatTable(rows: readonly (readonly string[])[], options: TabwriterOptions = CTR_TABWRITER): string {
  return formatTabwriter(rows.map((row) => `${row.map((cell) => `${cell}\t`).join("")}\n`).join(""), options);
}

/** Go's `Writer.format`: finds the column blocks of column `widths.length` in lines [line0, line1). */
function format(
  lines: readonly string[][],
  widths: number[],
  line0: number,
  line1: number,
  options: TabwriterOptions,
  out: string[],
): void {
  const column = widths.length;
  let start = line0;
  for (let current = start; current < line1; current++) {
    if (column >= cellCount(lines, current) - 1) continue;
    // This line starts a block in this column: print the lines before it, then size the block.
    writeLines(lines, widths, start, current, options, out);
    start = current;
    let width = options.minWidth;
    for (; current < line1; current++) {
      if (column >= cellCount(lines, current) - 1) break;
      width = Math.max(width, textWidth(lines[current]?.[column] ?? "") + options.padding);
    }
    widths.push(width);
    format(lines, widths, start, current, options, out);
    widths.pop();
    start = current;
  }
  writeLines(lines, widths, start, line1, options, out);
}

function writeLines(
  lines: readonly string[][],
  widths: readonly number[],
  line0: number,
  line1: number,
  options: TabwriterOptions,
  out: string[],
): void {
  for (let index = line0; index < line1; index++) {
    const cells = lines[index] ?? [];
    cells.forEach((cell, column) => {
      out.push(cell);
      const width = widths[column];
      if (width !== undefined) out.push(padding(textWidth(cell), width, options));
    });
    // The text after the last newline is a line of its own that ends without one.
    if (index + 1 < lines.length) out.push("\n");
  }
}

function padding(textW: number, cellW: number, options: TabwriterOptions): string {
  if (options.padChar === "\t") {
    if (options.tabWidth === 0) return "";
    const stop = Math.ceil(cellW / options.tabWidth) * options.tabWidth;
    return "\t".repeat(Math.ceil((stop - textW) / options.tabWidth));
  }
  return " ".repeat(cellW - textW);
}

function cellCount(lines: readonly string[][], index: number): number {
  return lines[index]?.length ?? 0;
}

function textWidth(cell: string): number {
  return Array.from(cell).length;
}
