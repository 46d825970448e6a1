import { describe, expect, it } from "vitest";
import { encodeHeaderBlock, HpackDecoder, HpackError, huffmanCodes } from "../../src/h2/hpack.js";

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");
const pairs = (fields: string[]) => fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : []));

describe("HpackDecoder", () => {
  it.each([
    [
      "C.2.1 literal with indexing",
      "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
      [["custom-key", "custom-header"]],
    ],
    ["C.2.2 literal without indexing", "040c2f73616d706c652f70617468", [[":path", "/sample/path"]]],
    ["C.2.3 literal never indexed", "100870617373776f726406736563726574", [["password", "secret"]]],
    ["C.2.4 indexed", "82", [[":method", "GET"]]],
  ])("decodes RFC 7541 %s", (_, block, expected) => {
    expect(pairs(new HpackDecoder().decode(hex(block)).fields)).toEqual(expected);
  });

  const requests = [
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ],
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ],
    [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ],
  ];

  it.each([
    [
      "C.3 (raw strings)",
      [
        "828684410f7777772e6578616d706c652e636f6d",
        "828684be58086e6f2d6361636865",
        "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
      ],
    ],
    [
      "C.4 (Huffman strings)",
      [
        "828684418cf1e3c2e5f23a6ba0ab90f4ff",
        "828684be5886a8eb10649cbf",
        "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
      ],
    ],
  ])("decodes the three requests of RFC 7541 %s with one dynamic table", (_, blocks) => {
    const decoder = new HpackDecoder();
    blocks.forEach((block, i) => {
      expect(pairs(decoder.decode(hex(block)).fields)).toEqual(requests[i]);
    });
  });

  it("rebuilds RFC 7541's Huffman codes from their lengths", () => {
    const codes = huffmanCodes();
    expect(codes[0]).toEqual([0x1ff8, 13]);
    expect(codes[97]).toEqual([0x3, 5]);
    expect(codes[88]).toEqual([0xfc, 8]);
    expect(codes[255]).toEqual([0x3ffffee, 26]);
    expect(codes[256]).toEqual([0x3fffffff, 30]);
  });

  it("evicts the oldest entries when the table is full", () => {
    const decoder = new HpackDecoder({ maxTableSize: 100 });
    // Two 64-byte entries (name 16 + value 16 + 32) cannot both fit in 100 bytes.
    const literal = (name: string, value: string) =>
      Buffer.concat([
        Buffer.from([0x40, name.length]),
        Buffer.from(name),
        Buffer.from([value.length]),
        Buffer.from(value),
      ]);
    decoder.decode(literal("aaaaaaaaaaaaaaaa", "1111111111111111"));
    decoder.decode(literal("bbbbbbbbbbbbbbbb", "2222222222222222"));
    expect(decoder.decode(hex("be")).fields).toEqual(["bbbbbbbbbbbbbbbb", "2222222222222222"]);
    expect(() => decoder.decode(hex("bf"))).toThrow(HpackError);
  });

  it.each([
    ["index 0", "80"],
    ["an index beyond both tables", "ff7f"],
    ["a truncated integer", "ff"],
    ["a string longer than the block", "400a6162"],
    ["an integer beyond 2^31", "ffffffffff0f"],
    ["EOS inside a Huffman string", "0083ffffff"],
    ["Huffman padding of 8 bits", "0082" + "1fff"],
    ["Huffman padding that is not all ones", "008100"],
    ["a table size update after a field", "823f"],
    ["a table size update above the limit", "3fe21f"],
  ])("refuses %s", (_, block) => {
    expect(() => new HpackDecoder().decode(hex(block))).toThrow(HpackError);
  });

  it("reports an oversized header list but keeps its table in sync", () => {
    const decoder = new HpackDecoder({ maxHeaderListSize: 100 });
    const block = encodeWithIndexing("x-big", "v".repeat(200));
    expect(decoder.decode(block).oversized).toBe(true);
    // The field went into the table (index 62 resolves) and is still over the limit on its own.
    expect(decoder.decode(hex("be"))).toEqual({ fields: [], oversized: true });
  });
});

/** A literal with incremental indexing and a new name (RFC 7541 §6.2.1), raw strings below 127 bytes or one continuation byte. */
function encodeWithIndexing(name: string, value: string): Buffer {
  const length = (n: number) => (n < 127 ? [n] : [127, n - 127]);
  return Buffer.concat([
    Buffer.from([0x40, ...length(name.length)]),
    Buffer.from(name),
    Buffer.from(length(value.length)),
    Buffer.from(value),
  ]);
}

describe("encodeHeaderBlock", () => {
  it("writes blocks any decoder reads back, without touching its table", () => {
    const fields = [
      ":status",
      "200",
      "content-type",
      "application/grpc",
      "grpc-status",
      "0",
      "x-latin1",
      "\u00e9t\u00e9",
      "empty",
      "",
    ];
    const decoder = new HpackDecoder();
    expect(decoder.decode(encodeHeaderBlock(fields)).fields).toEqual(fields);
    expect(decoder.decode(encodeHeaderBlock(fields)).fields).toEqual(fields);
    expect(() => decoder.decode(hex("be"))).toThrow(HpackError);
    expect(encodeHeaderBlock([":status", "200"])).toEqual(Buffer.from([0x88]));
  });

  it("encodes long names and values with multi-byte lengths", () => {
    const fields = [":status", "431", "x-".padEnd(300, "n"), "v".repeat(70_000)];
    expect(new HpackDecoder({ maxHeaderListSize: 100_000 }).decode(encodeHeaderBlock(fields)).fields).toEqual(fields);
  });
});
