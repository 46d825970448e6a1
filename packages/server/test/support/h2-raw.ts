import net from "node:net";
import { HpackDecoder } from "../../src/transport/h2/hpack.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** One frame as the server sent it. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
  /** Which socket read completed the frame. */
  readonly read: number;
}

/** A frame's bytes: length, type, flags, stream id and payload. */
export function rawFrame(type: number, flags: number, stream: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream, 5);
  out.set(payload, 9);
  return out;
}

/** A SETTINGS payload of [identifier, value] pairs. */
export function settings(...pairs: [number, number][]): Buffer {
  const out = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    out.writeUInt16BE(id, i * 6);
    out.writeUInt32BE(value, i * 6 + 2);
  });
  return out;
}

/** A client connection that writes raw frames and collects the frames the server sends. */
export interface RawConnection {
  readonly socket: net.Socket;
  readonly frames: Frame[];
  /** The first frame that matches, waiting for it up to `timeoutMs`. */
  waitFor(match: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Whether the server ended or closed the connection. */
  ended(): boolean;
  /** Every header block the server sent, decoded in order, by stream. */
  headerBlocks(): { stream: number; endStream: boolean; fields: Record<string, string> }[];
}

/**
 * Opens a raw HTTP/2 connection to a unix socket (or `{ port }` on loopback),
 * sends the preface and a SETTINGS frame with `settingsPayload`.
 */
export async function rawConnection(
  target: string | { port: number },
  settingsPayload: Buffer = Buffer.alloc(0),
  options: { preface?: boolean } = {},
): Promise<RawConnection> {
  const socket = typeof target === "string" ? net.connect(target) : net.connect(target.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const frames: Frame[] = [];
  let reads = 0;
  let pending = Buffer.alloc(0);
  let ended = false;
  socket.on("data", (chunk: Buffer) => {
    reads += 1;
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      frames.push({
        type: pending[3] as number,
        flags: pending[4] as number,
        stream: pending.readUInt32BE(5) & 0x7fffffff,
        payload: pending.subarray(9, 9 + length),
        read: reads,
      });
      pending = pending.subarray(9 + length);
    }
  });
  socket.on("end", () => {
    ended = true;
  });
  socket.on("close", () => {
    ended = true;
  });
  socket.on("error", () => undefined);
  if (options.preface !== false) socket.write(Buffer.concat([PREFACE, rawFrame(4, 0, 0, settingsPayload)]));
  const waitFor = async (match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = frames.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`no such frame; got ${JSON.stringify(frames.map((f) => [f.type, f.flags, f.stream]))}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const headerBlocks = () => {
    const decoder = new HpackDecoder({ maxHeaderListSize: 16 * 1024 * 1024 });
    const blocks: { stream: number; endStream: boolean; fields: Record<string, string> }[] = [];
    let open: { stream: number; endStream: boolean; parts: Buffer[] } | undefined;
    for (const frame of frames) {
      if (frame.type === 1)
        open = { stream: frame.stream, endStream: (frame.flags & 0x1) !== 0, parts: [frame.payload] };
      else if (frame.type === 9 && open !== undefined) open.parts.push(frame.payload);
      else continue;
      if ((frame.flags & 0x4) === 0 || open === undefined) continue;
      const { fields } = decoder.decode(Buffer.concat(open.parts));
      const record: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
      blocks.push({ stream: open.stream, endStream: open.endStream, fields: record });
      open = undefined;
    }
    return blocks;
  };
  return { socket, frames, waitFor, ended: () => ended, headerBlocks };
}
