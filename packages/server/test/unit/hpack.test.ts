import { mkdtemp, rm } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeHeaderBlock, HpackDecoder, HpackError, huffmanCodes } from "../../src/transport/h2/hpack.js";

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");

/** [[name, value], ...] from a flat field list. */
const pairs = (fields: readonly string[]) =>
  fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i] as string, fields[i + 1] as string]] : []));

/** An HPACK integer (RFC 7541 §5.1) with `first` holding the bits above the prefix. */
function integer(value: number, prefixBits: number, first = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const bytes = [first | max];
  let rest = value - max;
  for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes.push((rest % 0x80) | 0x80);
  bytes.push(rest);
  return bytes;
}

const rawString = (text: string) => [...integer(text.length, 7), ...Buffer.from(text, "latin1")];

/** A Huffman-coded string literal, padded with ones. */
function huffmanString(bytes: Uint8Array): number[] {
  const codes = huffmanCodes();
  let bits = "";
  for (const byte of bytes) {
    const [code, length] = codes[byte] as [number, number];
    bits += code.toString(2).padStart(length, "0");
  }
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, "1");
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) out.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return [...integer(out.length, 7, 0x80), ...out];
}

/** A literal field with incremental indexing and a new name, raw strings (RFC 7541 §6.2.1). */
const withIndexing = (name: string, value: string) => Buffer.from([0x40, ...rawString(name), ...rawString(value)]);

/** The dynamic table, newest first, read with indexed fields (which leave it unchanged). */
function dynamicTable(decoder: HpackDecoder): string[][] {
  const entries: string[][] = [];
  for (let index = 62; ; index++) {
    try {
      entries.push(...pairs(decoder.decode(Buffer.from(integer(index, 7, 0x80))).fields));
    } catch (error) {
      if (error instanceof HpackError) return entries;
      throw error;
    }
  }
}

describe("Huffman code", () => {
  it("rebuilt from the code lengths, matches RFC 7541 Appendix B", () => {
    const codes = huffmanCodes();
    expect(codes).toHaveLength(257);
    expect(codes[0]).toEqual([0x1ff8, 13]);
    expect(codes[10]).toEqual([0x3ffffffc, 30]);
    expect(codes[0x20]).toEqual([0x14, 6]);
    expect(codes[0x30]).toEqual([0x0, 5]); // '0'
    expect(codes[0x58]).toEqual([0xfc, 8]); // 'X'
    expect(codes[0x5c]).toEqual([0x7fff0, 19]); // '\'
    expect(codes[0x61]).toEqual([0x3, 5]); // 'a'
    expect(codes[0x7e]).toEqual([0x1ffd, 13]); // '~'
    expect(codes[128]).toEqual([0xfffe6, 20]);
    expect(codes[199]).toEqual([0x1ffffec, 25]);
    expect(codes[255]).toEqual([0x3ffffee, 26]);
    expect(codes[256]).toEqual([0x3fffffff, 30]);
  });

  it("decodes every byte value, and padding of up to 7 bits", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decode = (value: Iterable<number>) =>
      new HpackDecoder().decode(Buffer.from([0x00, ...rawString("x"), ...value]));
    expect(decode(huffmanString(all)).fields[1]).toBe(Buffer.from(all).toString("latin1"));
    // Five 5-bit codes leave 7 bits of padding.
    const aaaaa = huffmanString(Buffer.from("aaaaa"));
    expect((aaaaa.at(-1) as number) & 0x7f).toBe(0x7f);
    expect(decode(aaaaa).fields[1]).toBe("aaaaa");
    expect(decode([0x80]).fields[1]).toBe("");
    expect(decode(hex("81 1f")).fields[1]).toBe("a"); // 00011 111
    expect(decode(hex("84 fffffbbf")).fields[1]).toBe("\xff"); // 26-bit code, 6 bits of padding
  });
});

describe("HpackDecoder", () => {
  it.each([
    [
      "C.2.1 literal with indexing",
      "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
      ["custom-key", "custom-header"],
      [["custom-key", "custom-header"]],
    ],
    ["C.2.2 literal without indexing", "040c 2f73 616d 706c 652f 7061 7468", [":path", "/sample/path"], []],
    ["C.2.3 literal never indexed", "1008 7061 7373 776f 7264 0673 6563 7265 74", ["password", "secret"], []],
    ["C.2.4 indexed", "82", [":method", "GET"], []],
  ])("decodes RFC 7541 %s", (_, block, fields, table) => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex(block))).toEqual({ fields, oversized: false });
    expect(dynamicTable(decoder)).toEqual(table);
  });

  const requests = [
    [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"],
    [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", "cache-control", "no-cache"],
    [
      ...[":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority", "www.example.com"],
      ...["custom-key", "custom-value"],
    ],
  ];
  const requestTables = [
    [[":authority", "www.example.com"]],
    [
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ],
    [
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ],
  ];
  const date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
  const date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
  const location = "https://www.example.com";
  const cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
  const responses = [
    [":status", "302", "cache-control", "private", "date", date1, "location", location],
    [":status", "307", "cache-control", "private", "date", date1, "location", location],
    [
      ...[":status", "200", "cache-control", "private", "date", date2, "location", location],
      ...["content-encoding", "gzip", "set-cookie", cookie],
    ],
  ];
  const responseTables = [
    [
      ["location", location],
      ["date", date1],
      ["cache-control", "private"],
      [":status", "302"],
    ],
    [
      [":status", "307"],
      ["location", location],
      ["date", date1],
      ["cache-control", "private"],
    ],
    [
      ["set-cookie", cookie],
      ["content-encoding", "gzip"],
      ["date", date2],
    ],
  ];

  it.each([
    [
      "C.3 requests, raw strings",
      4096,
      [
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
      ],
      requests,
      requestTables,
    ],
    [
      "C.4 requests, Huffman strings",
      4096,
      [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
      ],
      requests,
      requestTables,
    ],
    [
      "C.5 responses, raw strings, 256-byte table",
      256,
      [
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 " +
          "3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 " +
          "7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 " +
          "6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
      ],
      responses,
      responseTables,
    ],
    [
      "C.6 responses, Huffman strings, 256-byte table",
      256,
      [
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad " +
          "1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 " +
          "e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      ],
      responses,
      responseTables,
    ],
  ])("decodes RFC 7541 %s with one decoder", (_, maxTableSize, blocks, lists, tables) => {
    const decoder = new HpackDecoder({ maxTableSize });
    blocks.forEach((block, i) => {
      expect(decoder.decode(hex(block))).toEqual({ fields: lists[i], oversized: false });
      expect(dynamicTable(decoder)).toEqual(tables[i]);
    });
  });

  it("empties the table for an entry larger than the table, and evicts by size", () => {
    const decoder = new HpackDecoder({ maxTableSize: 100 });
    decoder.decode(withIndexing("a", "1"));
    decoder.decode(withIndexing("b", "2"));
    expect(dynamicTable(decoder)).toEqual([
      ["b", "2"],
      ["a", "1"],
    ]);
    // 34 + 34 + 34 > 100: the oldest goes.
    decoder.decode(withIndexing("c", "3"));
    expect(dynamicTable(decoder)).toEqual([
      ["c", "3"],
      ["b", "2"],
    ]);
    expect(decoder.decode(withIndexing("big", "v".repeat(100))).fields).toEqual(["big", "v".repeat(100)]);
    expect(dynamicTable(decoder)).toEqual([]);
  });

  it("applies dynamic table size updates at the start of a block", () => {
    const decoder = new HpackDecoder();
    decoder.decode(withIndexing("a", "1"));
    decoder.decode(withIndexing("b", "2"));
    // Size 34 keeps the newest entry only; then 4096 (the limit) is allowed again.
    expect(decoder.decode(Buffer.from([...integer(34, 5, 0x20), ...integer(4096, 5, 0x20), 0x82])).fields).toEqual([
      ":method",
      "GET",
    ]);
    expect(dynamicTable(decoder)).toEqual([["b", "2"]]);
    decoder.decode(hex("20"));
    expect(dynamicTable(decoder)).toEqual([]);
  });

  it.each([
    ["index 0", "80"],
    ["an index beyond the static table when the dynamic table is empty", "be"],
    ["a literal name index beyond the tables", "0f2f 00"],
    ["an index beyond a small dynamic table", "4001 6101 31 bf"],
    ["an integer beyond 2^31", "ff ffffffff0f"],
    ["an integer with endless continuation bytes", "ff 8080808080808000"],
    ["a truncated integer", "ff"],
    ["a truncated integer continuation", "ff 80"],
    ["a missing string", "40"],
    ["a string longer than the block", "400a 6162"],
    ["a missing value", "4001 61"],
    ["a table size update after a field", "82 20"],
    ["a table size update above the limit", "3fe21f"],
    ["EOS inside a Huffman string", "0001 78 84 ffffffff"],
    ["EOS followed by more symbols", "0001 78 85 ffffffff 1f"],
    ["Huffman padding of 8 bits", "0001 78 81 ff"],
    ["Huffman padding longer than 7 bits after a symbol", "0001 78 82 1fff"],
    ["Huffman padding that is not all ones", "0001 78 81 18"],
  ])("refuses %s", (_, block) => {
    expect(() => new HpackDecoder().decode(hex(block))).toThrow(HpackError);
  });

  it("reports an oversized header list, still indexing its fields", () => {
    const decoder = new HpackDecoder({ maxHeaderListSize: 100 });
    const block = Buffer.concat([withIndexing("a", "1"), withIndexing("x-big", "v".repeat(200)), hex("82")]);
    // "a: 1" fits (34 bytes); what follows does not and is left out.
    expect(decoder.decode(block)).toEqual({ fields: ["a", "1"], oversized: true });
    // Both went into the table: x-big (index 62) is over the limit even on its own.
    expect(decoder.decode(hex("be"))).toEqual({ fields: [], oversized: true });
    expect(decoder.decode(hex("bf 82"))).toEqual({ fields: ["a", "1", ":method", "GET"], oversized: false });
    // Exactly at the limit is not oversized: 1 + 67 + 32 = 100.
    expect(decoder.decode(withIndexing("b", "v".repeat(67))).oversized).toBe(false);
  });

  it("accepts a Uint8Array view into a larger buffer", () => {
    const bytes = new Uint8Array([0xff, 0x82, 0x84, 0xff]);
    expect(new HpackDecoder().decode(bytes.subarray(1, 3)).fields).toEqual([":method", "GET", ":path", "/"]);
  });
});

describe("encodeHeaderBlock", () => {
  it("indexes :status 200 fully and writes other fields as literals without indexing", () => {
    expect(encodeHeaderBlock([":status", "200"])).toEqual(hex("88"));
    expect(encodeHeaderBlock([":status", "404"])).toEqual(hex("08 03 343034"));
    expect(encodeHeaderBlock(["content-type", "application/grpc"])).toEqual(
      Buffer.concat([hex("0f10 10"), Buffer.from("application/grpc")]),
    );
    expect(encodeHeaderBlock(["grpc-status", "0"])).toEqual(
      Buffer.concat([hex("00 0b"), Buffer.from("grpc-status"), hex("01"), Buffer.from("0")]),
    );
  });

  it("round-trips through HpackDecoder without touching the dynamic table", () => {
    const fields = [
      ...[":status", "200", "content-type", "application/grpc", "grpc-status", "0"],
      ...["grpc-message", "caf\u00e9 \u00ff\u0080", "x-empty", "", "www-authenticate", ""],
    ];
    const decoder = new HpackDecoder();
    expect(decoder.decode(encodeHeaderBlock(fields))).toEqual({ fields, oversized: false });
    expect(decoder.decode(encodeHeaderBlock(fields))).toEqual({ fields, oversized: false });
    expect(dynamicTable(decoder)).toEqual([]);
    expect(encodeHeaderBlock([])).toEqual(Buffer.alloc(0));
  });

  it("writes multi-byte lengths and name indexes", () => {
    const fields = ["x-".padEnd(300, "n"), "v".repeat(70_000), "www-authenticate", "w", ":status", "503"];
    const block = encodeHeaderBlock(fields);
    expect(new HpackDecoder({ maxHeaderListSize: 100_000 }).decode(block).fields).toEqual(fields);
  });

  it("refuses an odd-length field list", () => {
    expect(() => encodeHeaderBlock([":status"])).toThrow(RangeError);
  });
});

describe("HpackDecoder against Node's HTTP/2 client", () => {
  const CLIENT_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

  /** The complete header blocks (HEADERS and any CONTINUATION) a client sent on a connection so far. */
  function headerBlocks(bytes: Buffer): Buffer[] {
    const blocks: Buffer[] = [];
    let parts: Buffer[] | undefined;
    let at = CLIENT_PREFACE.length;
    while (at + 9 <= bytes.length) {
      const end = at + 9 + bytes.readUIntBE(at, 3);
      if (end > bytes.length) break;
      const type = bytes[at + 3];
      const flags = bytes[at + 4] as number;
      let payload = bytes.subarray(at + 9, end);
      if (type === 0x1) {
        if (flags & 0x8) payload = payload.subarray(1, payload.length - (payload[0] as number));
        if (flags & 0x20) payload = payload.subarray(5);
        parts = [payload];
      } else if (type === 0x9) {
        parts?.push(payload);
      }
      if ((type === 0x1 || type === 0x9) && flags & 0x4 && parts !== undefined) {
        blocks.push(Buffer.concat(parts));
        parts = undefined;
      }
      at = end;
    }
    return blocks;
  }

  it("decodes two requests' header blocks, Huffman-coded and using the dynamic table", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hpack-"));
    const path = join(dir, "h2.sock");
    const sockets = new Set<net.Socket>();
    let received = Buffer.alloc(0);
    let blocks: Buffer[] = [];
    let sawTwoBlocks = () => {};
    const twoBlocks = new Promise<void>((resolve) => {
      sawTwoBlocks = resolve;
    });
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        blocks = headerBlocks(received);
        if (blocks.length >= 2) sawTwoBlocks();
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = http2.connect("http://localhost", { createConnection: () => net.connect(path) });
    client.on("error", () => {});

    const first = {
      ":method": "POST",
      ":path": "/containerd.services.containers.v1.Containers/Get",
      "content-type": "application/grpc",
      te: "trailers",
      "containerd-namespace": "default",
      "x-custom": "Some Value ~!\u00e9",
    };
    const second = {
      ...first,
      ":path": "/containerd.services.containers.v1.Containers/List",
      "x-custom": "Other \u00e9",
    };
    try {
      for (const headers of [first, second]) client.request(headers).on("error", () => {});
      await twoBlocks;
      expect(received.subarray(0, CLIENT_PREFACE.length).toString("latin1")).toBe(CLIENT_PREFACE);
      const decoder = new HpackDecoder();
      const [firstBlock, secondBlock] = blocks as [Buffer, Buffer];
      [first, second].forEach((sent, i) => {
        const { fields, oversized } = decoder.decode(blocks[i] as Buffer);
        expect(oversized).toBe(false);
        const decoded = pairs(fields);
        expect(new Set(decoded.map(([name]) => name)).size).toBe(decoded.length);
        expect(Object.fromEntries(decoded)).toEqual({ ...sent, ":scheme": "http", ":authority": "localhost:80" });
      });
      // A name outside the static table, yet not in the bytes: it went Huffman-coded.
      expect(firstBlock.includes("containerd-namespace")).toBe(false);
      expect(dynamicTable(decoder)).toContainEqual(["containerd-namespace", "default"]);
      expect(secondBlock.length).toBeLessThan(firstBlock.length);
    } finally {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
