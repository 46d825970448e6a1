import { H2ConnectionError } from "./errors.js";
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, MAX_WINDOW, Setting } from "./frames.js";

/** What the peer's SETTINGS frames said so far (RFC 9113 §6.5.2), with the protocol's defaults. */
export class PeerSettings {
  /** The initial send window of every stream. */
  initialWindow = DEFAULT_WINDOW;
  /** The largest frame payload the client accepts. */
  maxFrame = DEFAULT_MAX_FRAME;
  /** The largest header list the client accepts: unlimited until it says. */
  maxHeaderListSize = Number.POSITIVE_INFINITY;
  /** The most streams the peer lets its counterpart open at once: unlimited until it says. */
  maxConcurrentStreams = Number.POSITIVE_INFINITY;

  /**
   * Applies one SETTINGS payload; returns how much the initial stream window
   * changed (every open stream's send window changes by as much, §6.9.2).
   * Throws {@link H2ConnectionError} for a value the protocol forbids.
   */
  apply(payload: Buffer): number {
    if (payload.length % 6 !== 0) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
    let windowDelta = 0;
    for (let at = 0; at < payload.length; at += 6) {
      const setting = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (setting === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window too large");
        windowDelta += value - this.initialWindow;
        this.initialWindow = value;
      } else if (setting === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) {
          throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad MAX_FRAME_SIZE");
        }
        this.maxFrame = value;
      } else if (setting === Setting.MAX_HEADER_LIST_SIZE) {
        this.maxHeaderListSize = value;
      } else if (setting === Setting.MAX_CONCURRENT_STREAMS) {
        this.maxConcurrentStreams = value;
      } else if (setting === Setting.ENABLE_PUSH && value > 1) {
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad ENABLE_PUSH");
      }
    }
    return windowDelta;
  }
}
