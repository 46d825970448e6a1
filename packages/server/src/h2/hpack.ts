/** HPACK (RFC 7541): header blocks decoded with their dynamic table, and encoded without one. */

/** A header block that cannot be decoded: an HTTP/2 connection error COMPRESSION_ERROR. */
export class HpackError extends Error {
  override readonly name = "HpackError";
}

/** RFC 7541 Appendix A, entries 1–61, as [name, value]. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
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

/** Static-table index of each name's first entry, for the encoder. */
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});

/**
 * The bit length of each symbol's Huffman code (RFC 7541 Appendix B), symbols
 * 0–256 (256 is EOS). The code is canonical: codes are assigned in order of
 * length, then of symbol, so the lengths determine every code.
 */
const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6,
  5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22,
  23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26,
  20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27,
  27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26, 30,
];

const EOS = 256;

/**
 * The Huffman code as a binary tree in two arrays: node `n`'s children are
 * `children[2n]` (bit 0) and `children[2n + 1]` (bit 1); a child below 0 is the
 * leaf of symbol `-child - 1`, 0 is "no such code".
 */
const HUFFMAN_TREE = (() => {
  const codes = huffmanCodes();
  const children: number[] = [0, 0];
  let nodes = 1;
  codes.forEach(([code, length], symbol) => {
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) {
        children[slot] = -symbol - 1;
      } else {
        if (children[slot] === 0) {
          children[slot] = nodes++;
          children.push(0, 0);
        }
        node = children[slot] as number;
      }
    }
  });
  return Int32Array.from(children);
})();

/** Each symbol's [code, length], from {@link HUFFMAN_LENGTHS}. */
export function huffmanCodes(): [code: number, length: number][] {
  const bySize = HUFFMAN_LENGTHS.map((length, symbol) => ({ length, symbol })).sort(
    (a, b) => a.length - b.length || a.symbol - b.symbol,
  );
  const codes: [number, number][] = new Array(HUFFMAN_LENGTHS.length);
  let code = 0;
  let length = bySize[0]?.length ?? 0;
  for (const entry of bySize) {
    code *= 2 ** (entry.length - length);
    length = entry.length;
    codes[entry.symbol] = [code, length];
    code += 1;
  }
  return codes;
}

function huffmanDecode(bytes: Uint8Array): string {
  let out = "";
  let node = 0;
  // Bits read since the last symbol, and whether they were all ones (valid padding).
  let pendingBits = 0;
  let allOnes = true;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >>> bit) & 1;
      const next = HUFFMAN_TREE[2 * node + one] as number;
      pendingBits += 1;
      allOnes &&= one === 1;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw new HpackError("EOS in a Huffman string");
        out += String.fromCharCode(symbol);
        node = 0;
        pendingBits = 0;
        allOnes = true;
      } else if (next === 0) {
        throw new HpackError("invalid Huffman code");
      } else {
        node = next;
      }
    }
  }
  if (pendingBits > 7 || !allOnes) throw new HpackError("invalid Huffman padding");
  return out;
}

const ENTRY_OVERHEAD = 32;

/** Decodes the header blocks of one HTTP/2 connection (one per connection: it keeps the dynamic table). */
export class HpackDecoder {
  /** Newest first. */
  private readonly table: [string, string][] = [];
  private tableSize = 0;
  private maxSize: number;
  private readonly limit: number;
  private readonly maxHeaderListSize: number;

  constructor(options: { maxTableSize?: number; maxHeaderListSize?: number } = {}) {
    this.limit = options.maxTableSize ?? 4096;
    this.maxSize = this.limit;
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65_536;
  }

  /**
   * Decodes one complete header block: the fields flat, [name, value, ...], as
   * latin1 strings (byte-preserving, as Node's http2 does). A list larger than
   * `maxHeaderListSize` is still decoded to the end, to keep the table in sync,
   * and reported `oversized`.
   */
  decode(block: Uint8Array): { fields: string[]; oversized: boolean } {
    const fields: string[] = [];
    let listSize = 0;
    let oversized = false;
    let offset = 0;
    let fieldSeen = false;
    while (offset < block.length) {
      const first = block[offset] as number;
      let name: string;
      let value: string;
      if (first & 0x80) {
        let index: number;
        [index, offset] = readInteger(block, offset, 7);
        [name, value] = this.entry(index);
      } else if ((first & 0xe0) === 0x20) {
        if (fieldSeen) throw new HpackError("table size update after a field");
        let size: number;
        [size, offset] = readInteger(block, offset, 5);
        if (size > this.limit) throw new HpackError("table size update above the limit");
        this.maxSize = size;
        this.evict(0);
        continue;
      } else {
        const indexing = (first & 0xc0) === 0x40;
        let index: number;
        [index, offset] = readInteger(block, offset, indexing ? 6 : 4);
        if (index === 0) [name, offset] = readString(block, offset);
        else name = this.entry(index)[0];
        [value, offset] = readString(block, offset);
        if (indexing) this.insert(name, value);
      }
      fieldSeen = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > this.maxHeaderListSize) oversized = true;
      else fields.push(name, value);
    }
    return { fields, oversized };
  }

  private entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError("index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as readonly [string, string];
    const entry = this.table[index - STATIC_TABLE.length - 1];
    if (entry === undefined) throw new HpackError(`index ${index} beyond the tables`);
    return entry;
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(size);
    if (size > this.maxSize) return;
    this.table.unshift([name, value]);
    this.tableSize += size;
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.table.length > 0 && this.tableSize + room > this.maxSize) {
      const [name, value] = this.table.pop() as [string, string];
      this.tableSize -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

function readInteger(bytes: Uint8Array, at: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = (bytes[at] as number) & max;
  let offset = at + 1;
  if (value < max) return [value, offset];
  let shift = 0;
  for (;;) {
    const byte = bytes[offset++];
    if (byte === undefined) throw new HpackError("truncated integer");
    value += (byte & 0x7f) * 2 ** shift;
    if (value > 2 ** 31) throw new HpackError("integer too large");
    if ((byte & 0x80) === 0) return [value, offset];
    shift += 7;
  }
}

function readString(bytes: Uint8Array, at: number): [string, number] {
  if (at >= bytes.length) throw new HpackError("truncated string");
  const huffman = ((bytes[at] as number) & 0x80) !== 0;
  const [length, start] = readInteger(bytes, at, 7);
  const end = start + length;
  if (end > bytes.length) throw new HpackError("truncated string");
  const raw = bytes.subarray(start, end);
  return [huffman ? huffmanDecode(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString("latin1"), end];
}

/**
 * Encodes response header fields (flat [name, value, ...], names lowercase) as a
 * block that needs no table: `:status: 200` fully indexed, every other field a
 * literal without indexing, its name indexed when the static table has it, raw
 * strings. Nothing is added to the peer's dynamic table.
 */
export function encodeHeaderBlock(fields: readonly string[]): Buffer {
  const pieces: Buffer[] = [];
  let length = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const piece = encodeField(fields[i] as string, fields[i + 1] as string);
    pieces.push(piece);
    length += piece.length;
  }
  return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, length);
}

/** Encoded fields that recur in every answer (`content-type`, `grpc-status: 0`), by name and value. */
const encodedFields = new Map<string, Buffer>();
const MAX_REMEMBERED_FIELDS = 64;
const MAX_REMEMBERED_VALUE = 64;

function encodeField(name: string, value: string): Buffer {
  const key = `${name}\n${value}`;
  const known = encodedFields.get(key);
  if (known !== undefined) return known;
  let encoded: Buffer;
  if (name === ":status" && value === "200") {
    encoded = Buffer.from([0x88]);
  } else {
    const nameIndex = STATIC_NAME_INDEX.get(name);
    const prefix = nameIndex === undefined ? [Buffer.from([0x00]), encodeString(name)] : [integer(nameIndex, 4)];
    encoded = Buffer.concat([...prefix, encodeString(value)]);
  }
  if (value.length <= MAX_REMEMBERED_VALUE && encodedFields.size < MAX_REMEMBERED_FIELDS) {
    encodedFields.set(key, encoded);
  }
  return encoded;
}

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([integer(bytes.length, 7), bytes]);
}

/** An HPACK integer with a `prefixBits` prefix and the other bits of the first byte 0. */
function integer(value: number, prefixBits: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([value]);
  const bytes = [max];
  let rest = value - max;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
