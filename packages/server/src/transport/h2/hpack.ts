/**
 * HPACK (RFC 7541) for the server side of HTTP/2: request header blocks are decoded with the
 * connection's dynamic table; response header blocks are encoded so that they need no table at all.
 */

/** A header block that cannot be decoded: an HTTP/2 connection error COMPRESSION_ERROR. */
export class HpackError extends Error {
  override readonly name = "HpackError";
}

type Entry = readonly [name: string, value: string];

/** RFC 7541 Appendix A: entry `i` has index `i + 1`. */
const STATIC_TABLE: readonly Entry[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** RFC 7541 §4.1: what each entry costs beyond its name and value bytes. */
const ENTRY_OVERHEAD = 32;

/** Integers above this are refused: nothing in a header block legitimately needs more than 31 bits. */
const MAX_INTEGER = 2 ** 31 - 1;

/**
 * The length in bits of each symbol's code, symbols 0–255 then EOS (256), sixteen to a row.
 * The code is canonical (codes assigned in order of length, then of symbol), so these lengths
 * are all it takes to rebuild it.
 */
const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  // 0x00
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  // 0x10
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  // 0x20: space, then ! " # $ % & ' ( ) * + , - . /
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  // 0x30: 0-9 : ; < = > ?
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  // 0x40: @ A-O
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  // 0x50: P-Z [ \ ] ^ _
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  // 0x60: ` a-o
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  // 0x70: p-z { | } ~ DEL
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 0x80
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  // 0x90
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  // 0xa0
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  // 0xb0
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  // 0xc0
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  // 0xd0
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  // 0xe0
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  // 0xf0
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // EOS
  30,
];

const EOS = 256;

/**
 * Each symbol's Huffman code as `[code, length]`, rebuilt from the code lengths (RFC 7541
 * Appendix B). Exposed so tests can hold the rebuilt code against the RFC's table.
 */
export function huffmanCodes(): [code: number, length: number][] {
  const symbols = HUFFMAN_CODE_LENGTHS.map((_, symbol) => symbol).sort(
    (a, b) => (HUFFMAN_CODE_LENGTHS[a] as number) - (HUFFMAN_CODE_LENGTHS[b] as number) || a - b,
  );
  const codes: [number, number][] = new Array(HUFFMAN_CODE_LENGTHS.length);
  let code = 0;
  let length = 0;
  for (const symbol of symbols) {
    const symbolLength = HUFFMAN_CODE_LENGTHS[symbol] as number;
    code <<= symbolLength - length;
    length = symbolLength;
    codes[symbol] = [code, length];
    code += 1;
  }
  return codes;
}

/*
 * Decoding walks the code tree four bits at a time. A state is an inner node of the tree (the
 * bits read since the last symbol); for each state and nibble, STEPS holds the state reached,
 * the symbol completed on the way if any (no code is shorter than 5 bits, so at most one), or
 * that EOS was reached. A nibble at a time keeps the table small (256 × 16) and the loop short.
 */
const STEP_STATE = 0xff;
const STEP_SYMBOL_SHIFT = 8;
const STEP_EMITS = 1 << 16;
const STEP_FAILS = 1 << 17;

const { STEPS, PADDING_STATES } = buildHuffmanDecoder();

function buildHuffmanDecoder(): { STEPS: Uint32Array; PADDING_STATES: Uint8Array } {
  // children[2n + bit] of inner node n: another inner node (> 0), a leaf (-1 - symbol), or
  // 0 (absent; never the case for a complete code, but then the step fails).
  const children: number[] = [0, 0];
  huffmanCodes().forEach(([code, length], symbol) => {
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) {
        children[slot] = -1 - symbol;
      } else {
        if (children[slot] === 0) {
          children[slot] = children.length / 2;
          children.push(0, 0);
        }
        node = children[slot] as number;
      }
    }
  });

  const states = children.length / 2;
  const steps = new Uint32Array(states * 16);
  for (let state = 0; state < states; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let step = 0;
      for (let bit = 3; bit >= 0 && (step & STEP_FAILS) === 0; bit--) {
        const child = children[2 * node + ((nibble >> bit) & 1)] as number;
        if (child > 0) {
          node = child;
        } else if (child === 0 || child === -1 - EOS) {
          step |= STEP_FAILS;
        } else {
          step |= STEP_EMITS | ((-1 - child) << STEP_SYMBOL_SHIFT);
          node = 0;
        }
      }
      steps[state * 16 + nibble] = step | node;
    }
  }

  // A string may end only on the root or within the first 7 bits of EOS (RFC 7541 §5.2): there
  // the bits since the last symbol are padding of at most 7 ones.
  const paddingStates = new Uint8Array(states);
  for (let node = 0, depth = 0; depth <= 7; depth++, node = children[2 * node + 1] as number) {
    paddingStates[node] = 1;
  }
  return { STEPS: steps, PADDING_STATES: paddingStates };
}

/** Grows as needed and is reused, so decoding a string allocates only the string itself. */
let huffmanOutput = Buffer.allocUnsafe(256);

function huffmanDecode(input: Buffer, start: number, end: number): string {
  const maxSymbols = Math.floor(((end - start) * 8) / 5);
  if (huffmanOutput.length < maxSymbols) huffmanOutput = Buffer.allocUnsafe(maxSymbols);
  const out = huffmanOutput;
  let length = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = input[i] as number;
    const high = STEPS[(state << 4) | (byte >> 4)] as number;
    const low = STEPS[((high & STEP_STATE) << 4) | (byte & 0xf)] as number;
    if ((high | low) & STEP_FAILS) throw new HpackError("EOS inside a Huffman-coded string");
    if (high & STEP_EMITS) out[length++] = (high >> STEP_SYMBOL_SHIFT) & 0xff;
    if (low & STEP_EMITS) out[length++] = (low >> STEP_SYMBOL_SHIFT) & 0xff;
    state = low & STEP_STATE;
  }
  if (PADDING_STATES[state] !== 1) throw new HpackError("invalid padding of a Huffman-coded string");
  return out.toString("latin1", 0, length);
}

/** The dynamic table (RFC 7541 §2.3.2, §4): a ring of entries, newest first. */
class DynamicTable {
  private readonly ring: (Entry | undefined)[];
  /** Ring slot of entry 0, the newest; older entries follow it. */
  private newest = 0;
  private count = 0;
  private size = 0;

  constructor(
    private maxSize: number,
    upperBound: number,
  ) {
    // No entry is smaller than ENTRY_OVERHEAD, so this many slots always suffice.
    this.ring = new Array(Math.floor(upperBound / ENTRY_OVERHEAD) + 1);
  }

  /** Entry `index` counted from 0, the newest; undefined beyond the last. */
  get(index: number): Entry | undefined {
    return index < this.count ? this.ring[(this.newest + index) % this.ring.length] : undefined;
  }

  add(entry: Entry): void {
    const size = entrySize(entry);
    this.evictDownTo(this.maxSize - size);
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    if (size > this.maxSize) return;
    this.newest = (this.newest + this.ring.length - 1) % this.ring.length;
    this.ring[this.newest] = entry;
    this.count += 1;
    this.size += size;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictDownTo(maxSize);
  }

  private evictDownTo(size: number): void {
    while (this.count > 0 && this.size > size) {
      const oldest = (this.newest + this.count - 1) % this.ring.length;
      this.size -= entrySize(this.ring[oldest] as Entry);
      this.ring[oldest] = undefined;
      this.count -= 1;
    }
  }
}

function entrySize([name, value]: Entry): number {
  // Names and values are latin1 strings: one character per byte.
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** Reads the primitives of a header block (RFC 7541 §5). */
class BlockReader {
  offset = 0;

  constructor(private readonly input: Buffer) {}

  get done(): boolean {
    return this.offset >= this.input.length;
  }

  /** The next byte, not consumed. */
  peek(): number {
    const byte = this.input[this.offset];
    if (byte === undefined) throw new HpackError("header block truncated");
    return byte;
  }

  /** An integer whose first byte holds it in its low `prefixBits` bits (RFC 7541 §5.1). */
  integer(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = this.peek() & max;
    this.offset += 1;
    if (value < max) return value;
    for (let shift = 0; ; shift += 7) {
      const byte = this.peek();
      this.offset += 1;
      value += (byte & 0x7f) * 2 ** shift;
      // The shift bound also stops endless zero continuation bytes, which never raise `value`.
      if (value > MAX_INTEGER || shift > 28) throw new HpackError("integer overflow in header block");
      if (byte < 0x80) return value;
    }
  }

  /** A string literal, raw or Huffman-coded (RFC 7541 §5.2), as latin1. */
  string(): string {
    const huffman = this.peek() >= 0x80;
    const length = this.integer(7);
    const start = this.offset;
    const end = start + length;
    if (end > this.input.length) throw new HpackError("header block truncated");
    this.offset = end;
    return huffman ? huffmanDecode(this.input, start, end) : this.input.toString("latin1", start, end);
  }
}

/** Decodes the header blocks of one HTTP/2 connection (one per connection: it keeps the dynamic table). */
export class HpackDecoder {
  private readonly maxTableSize: number;
  private readonly maxHeaderListSize: number;
  private readonly table: DynamicTable;

  /**
   * @param options.maxTableSize - our SETTINGS_HEADER_TABLE_SIZE, the most the peer's encoder may use (default 4096).
   * @param options.maxHeaderListSize - beyond this header list size, `decode` reports `oversized` (default 65536).
   */
  constructor(options: { maxTableSize?: number; maxHeaderListSize?: number } = {}) {
    this.maxTableSize = options.maxTableSize ?? 4096;
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65_536;
    this.table = new DynamicTable(this.maxTableSize, this.maxTableSize);
  }

  /**
   * Decodes one complete header block (HEADERS + CONTINUATION payloads already joined).
   * Returns the fields flat, [name0, value0, name1, value1, ...] in order, names and values as
   * latin1 strings (byte-preserving, as Node's http2 does). When the header list size (RFC 7541 §4.1:
   * sum of name length + value length + 32 per field) exceeds maxHeaderListSize, `oversized` is true
   * and `fields` may be incomplete, but the whole block is still processed so the dynamic table stays
   * in sync. Throws HpackError on any malformed input.
   */
  decode(block: Uint8Array): { fields: string[]; oversized: boolean } {
    const input = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    const reader = new BlockReader(input);
    const fields: string[] = [];
    let listSize = 0;
    let fieldSeen = false;
    while (!reader.done) {
      const first = reader.peek();
      let entry: Entry;
      if (first >= 0x80) {
        // Indexed field (§6.1).
        entry = this.entry(reader.integer(7));
      } else if (first >= 0x40) {
        // Literal with incremental indexing (§6.2.1).
        entry = this.literal(reader, 6);
        this.table.add(entry);
      } else if (first >= 0x20) {
        // Dynamic table size update (§6.3); §4.2 allows it only at the start of a block.
        if (fieldSeen) throw new HpackError("dynamic table size update after a header field");
        const size = reader.integer(5);
        if (size > this.maxTableSize) throw new HpackError(`dynamic table size ${size} above ${this.maxTableSize}`);
        this.table.resize(size);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
        entry = this.literal(reader, 4);
      }
      fieldSeen = true;
      listSize += entrySize(entry);
      if (listSize <= this.maxHeaderListSize) fields.push(entry[0], entry[1]);
    }
    return { fields, oversized: listSize > this.maxHeaderListSize };
  }

  /** A literal field whose name index has `prefixBits` bits; index 0 means a literal name follows. */
  private literal(reader: BlockReader, prefixBits: number): Entry {
    const index = reader.integer(prefixBits);
    const name = index === 0 ? reader.string() : this.entry(index)[0];
    return [name, reader.string()];
  }

  /** Entry `index` of the static table followed by the dynamic table (RFC 7541 §2.3.3). */
  private entry(index: number): Entry {
    let entry: Entry | undefined;
    if (index > STATIC_TABLE.length) entry = this.table.get(index - STATIC_TABLE.length - 1);
    else if (index > 0) entry = STATIC_TABLE[index - 1];
    if (entry === undefined) throw new HpackError(`no header table entry ${index}`);
    return entry;
  }
}

/** Static-table index of each name's first entry. */
const STATIC_NAME_INDEX = new Map<string, number>();
for (let i = STATIC_TABLE.length - 1; i >= 0; i--) STATIC_NAME_INDEX.set((STATIC_TABLE[i] as Entry)[0], i + 1);

const STATUS_200_INDEX = 8;

/**
 * Encodes response header fields (flat [name, value, ...], names lowercase) as a header block that
 * needs no state: `:status: 200` as the fully indexed static entry 8; every other field as a literal
 * without indexing (RFC 7541 §6.2.2), with the name as a static-table index when the static table has
 * that name, raw (non-Huffman) strings. Never touches any dynamic table. Names and values are written
 * as latin1, one byte per character.
 */
export function encodeHeaderBlock(fields: readonly string[]): Buffer {
  if (fields.length % 2 !== 0) throw new RangeError("header fields must come as name, value pairs");
  let size = 0;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (isStatus200(name, value)) {
      size += 1;
      continue;
    }
    const nameIndex = STATIC_NAME_INDEX.get(name);
    size += nameIndex === undefined ? 1 + stringSize(name) : integerSize(nameIndex, 4);
    size += stringSize(value);
  }

  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (isStatus200(name, value)) {
      offset = writeInteger(out, offset, 0x80, 7, STATUS_200_INDEX);
      continue;
    }
    const nameIndex = STATIC_NAME_INDEX.get(name);
    if (nameIndex === undefined) {
      offset = writeInteger(out, offset, 0x00, 4, 0);
      offset = writeString(out, offset, name);
    } else {
      offset = writeInteger(out, offset, 0x00, 4, nameIndex);
    }
    offset = writeString(out, offset, value);
  }
  return out;
}

function isStatus200(name: string, value: string): boolean {
  return name === ":status" && value === "200";
}

function integerSize(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let size = 2;
  for (let rest = value - max; rest >= 0x80; rest = Math.floor(rest / 0x80)) size += 1;
  return size;
}

function stringSize(text: string): number {
  return integerSize(text.length, 7) + text.length;
}

/** Writes `value` with a `prefixBits` prefix after the pattern bits `first`; returns the new offset. */
function writeInteger(out: Buffer, offset: number, first: number, prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[offset] = first | value;
    return offset + 1;
  }
  out[offset++] = first | max;
  let rest = value - max;
  for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) out[offset++] = (rest % 0x80) | 0x80;
  out[offset] = rest;
  return offset + 1;
}

function writeString(out: Buffer, offset: number, text: string): number {
  const start = writeInteger(out, offset, 0x00, 7, text.length);
  return start + out.write(text, start, "latin1");
}
