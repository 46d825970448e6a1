import type { ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

/**
 * `grpc-message` values as the gRPC over HTTP/2 spec defines them: `%` and every
 * byte outside printable ASCII (0x20–0x7E, so the UTF-8 bytes of non-ASCII text)
 * percent-encoded, everything else as it is. containerd's messages, with their
 * spaces, quotes and colons, then read the same in every client, including
 * those that decode only what the spec says must be encoded.
 */
export function encodeGrpcMessage(text: string): string {
  if (isPlain(text)) return text;
  let encoded = "";
  for (const byte of Buffer.from(text, "utf8")) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/**
 * Re-encodes a `grpc-message` that Connect's handlers wrote with
 * `encodeURIComponent` (which encodes far more than the spec asks) the way
 * {@link encodeGrpcMessage} does. A value that does not decode is left as is.
 */
export function reencodeGrpcMessage(uriEncoded: string): string {
  const text = percentDecoded(uriEncoded);
  return text === undefined ? uriEncoded : encodeGrpcMessage(text);
}

/** A `grpc-message` as sent (percent-encoded) as text; a value that does not decode is taken as it is. */
export function decodeGrpcMessage(value: string): string {
  return percentDecoded(value) ?? value;
}

function percentDecoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x25) return false;
  }
  return true;
}

/**
 * The status fields of a gRPC answer as Connect writes them (`grpc-status`,
 * `grpc-message`, `grpc-status-details-bin` when the error has details, and the
 * error's metadata), with `grpc-message` encoded as the spec says.
 */
export function grpcStatusFields(error: ConnectError | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  setTrailerStatus(new Headers(), error).forEach((value, name) => {
    fields[name] = name === "grpc-message" ? reencodeGrpcMessage(value) : value;
  });
  return fields;
}
