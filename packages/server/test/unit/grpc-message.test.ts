import { describe, expect, it } from "vitest";
import { encodeGrpcMessage, reencodeGrpcMessage } from "../../src/rpc/grpc-message.js";
import { decodeGrpcMessage } from "../compat/stacks.js";

describe("grpc-message encoding (gRPC over HTTP/2 spec)", () => {
  it("leaves printable ASCII as it is: spaces, quotes, colons, regex punctuation", () => {
    const text = 'identifier "Bad Id" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument';
    expect(encodeGrpcMessage(text)).toBe(text);
  });

  it("percent-encodes %, control characters and the UTF-8 bytes of non-ASCII text", () => {
    expect(encodeGrpcMessage('identifier "ü" 100%\n')).toBe('identifier "%C3%BC" 100%25%0A');
    expect(encodeGrpcMessage("\u007f~ ")).toBe("%7F~ ");
    expect(encodeGrpcMessage("😀")).toBe("%F0%9F%98%80");
  });

  it("round-trips through a decoder that decodes only what the spec encodes", () => {
    for (const text of ['a "b": c', "ü-ns%20", "tab\there", "日本"]) {
      expect(decodeGrpcMessage(encodeGrpcMessage(text))).toBe(text);
    }
  });

  it("re-encodes Connect's encodeURIComponent output the spec's way; keeps what does not decode", () => {
    const text = 'container "x" in namespace "ü": not found';
    expect(reencodeGrpcMessage(encodeURIComponent(text))).toBe(encodeGrpcMessage(text));
    expect(reencodeGrpcMessage("100%")).toBe("100%");
  });
});
