import http2 from "node:http2";
import net from "node:net";

/** One raw gRPC exchange: status, message and every response message frame. */
export interface RawGrpcResult {
  readonly status: string | undefined;
  readonly message: string | undefined;
  readonly messages: Uint8Array[];
}

/**
 * Calls a gRPC method over a unix socket with hand-made bytes, and no generated
 * code: what a client built from containerd's own .proto files would send.
 * `headers` may repeat a name (array value) to test first-value-wins.
 */
export function rawGrpcCall(
  socketPath: string,
  path: string,
  body: Uint8Array,
  headers: Record<string, string | string[]> = {},
): Promise<RawGrpcResult> {
  return rawGrpcExchange(socketPath, path, frame(body), headers);
}

/** Like {@link rawGrpcCall}, but sends `requestBytes` as they are: no envelope is added. */
export function rawGrpcExchange(
  socketPath: string,
  path: string,
  requestBytes: Uint8Array,
  headers: Record<string, string | string[]> = {},
): Promise<RawGrpcResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message: string | undefined;
    const takeStatus = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    stream.on("response", takeStatus);
    stream.on("trailers", takeStatus);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status, message, messages: splitFrames(Buffer.concat(chunks)) });
    });
    stream.end(requestBytes);
  });
}

/** gRPC length-prefixed framing: flag byte 0, 4-byte big-endian length, bytes. */
export function frame(body: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

function splitFrames(data: Buffer): Uint8Array[] {
  const messages: Uint8Array[] = [];
  for (let offset = 0; offset + 5 <= data.length; ) {
    const length = data.readUInt32BE(offset + 1);
    messages.push(new Uint8Array(data.subarray(offset + 5, offset + 5 + length)));
    offset += 5 + length;
  }
  return messages;
}
