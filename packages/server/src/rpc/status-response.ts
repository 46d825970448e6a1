import { Code } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { encodeGrpcMessage } from "./grpc-message.js";
import { grpcWebTrailerFrame } from "./grpc-web-frames.js";
import type { RpcProtocol } from "./protocol.js";

/**
 * grpc-go's text for a call to a service or method the server does not have,
 * so `ctr images ls` against berthd prints what it prints against a containerd
 * without that plugin. The path is split at its last slash, as grpc-go does.
 */
export function unknownRpcMessage(path: string, knownServices: ReadonlySet<string>): string {
  const name = path.startsWith("/") ? path.slice(1) : path;
  const slash = name.lastIndexOf("/");
  if (slash < 0) return `malformed method name: ${JSON.stringify(path)}`;
  const service = name.slice(0, slash);
  const method = name.slice(slash + 1);
  return knownServices.has(service) ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
}

/** The Unimplemented answer in the call's own protocol (see {@link statusResponse}). */
export function unimplementedResponse(protocol: RpcProtocol, message: string): UniversalServerResponse {
  return statusResponse(protocol, Code.Unimplemented, message);
}

/**
 * An error answer in the call's own protocol: gRPC as grpc-go sends it (HTTP
 * 200, headers only), gRPC-Web with the status in a trailer frame, Connect as
 * its JSON error (with its HTTP status for unary calls, an end-of-stream
 * message for streams).
 */
export function statusResponse(protocol: RpcProtocol, status: Code, message: string): UniversalServerResponse {
  const code = String(status);
  switch (protocol) {
    case "grpc":
      return {
        status: 200,
        header: new Headers({
          "content-type": "application/grpc",
          "grpc-status": code,
          "grpc-message": encodeGrpcMessage(message),
        }),
      };
    case "grpc-web":
    case "grpc-web-text": {
      const frame = grpcWebTrailerFrame(
        new Headers({ "grpc-status": code, "grpc-message": encodeGrpcMessage(message) }),
      );
      const text = protocol === "grpc-web-text";
      return {
        status: 200,
        header: new Headers({
          "content-type": text ? "application/grpc-web-text+proto" : "application/grpc-web+proto",
        }),
        body: once(text ? new TextEncoder().encode(Buffer.from(frame).toString("base64")) : frame),
      };
    }
    case "connect-unary":
      return {
        status: codeToHttpStatus(status),
        header: new Headers({ "content-type": "application/json" }),
        body: once(new TextEncoder().encode(JSON.stringify({ code: codeToString(status), message }))),
      };
    case "connect-stream": {
      const end = connectEndStream({ error: { code: codeToString(status), message } });
      return { status: 200, header: new Headers({ "content-type": "application/connect+json" }), body: once(end) };
    }
  }
}

/** A Connect stream's last envelope: the end-of-stream flag, then `end` as JSON. */
export function connectEndStream(end: object): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(end));
  const envelope = new Uint8Array(5 + json.length);
  envelope[0] = 0b10;
  new DataView(envelope.buffer).setUint32(1, json.length);
  envelope.set(json, 5);
  return envelope;
}

async function* once(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}
