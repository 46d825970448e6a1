import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.js";
import { H2ConnectionError } from "../../src/transport/h2/errors.js";
import { FloodGuard } from "../../src/transport/h2/flood-guard.js";
import { ErrorCode, FrameType } from "../../src/transport/h2/frames.js";
import { ServerBudget } from "../../src/transport/h2/limits.js";

const PING = Buffer.alloc(8);

describe("FloodGuard", () => {
  it("lets a client PING after every burst of an answer, as grpc-go's bandwidth estimate does", () => {
    const floods: string[] = [];
    const guard = new FloodGuard(new ServerBudget(DEFAULT_LIMITS.h2), (what) => floods.push(what));
    for (let i = 0; i < 10 * DEFAULT_LIMITS.h2.maxPingsPerSecond; i++) {
      guard.sent();
      guard.count(FrameType.PING, 0, PING);
    }
    expect(floods).toEqual([]);
  });

  it("counts PINGs with nothing sent in between, and ends the connection past the rate", () => {
    const floods: string[] = [];
    const guard = new FloodGuard(new ServerBudget(DEFAULT_LIMITS.h2), (what) => floods.push(what));
    let error: unknown;
    try {
      for (let i = 0; i < 2 * DEFAULT_LIMITS.h2.maxPingsPerSecond; i++) guard.count(FrameType.PING, 0, PING);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(H2ConnectionError);
    expect((error as H2ConnectionError).code).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(floods).toEqual(["PING"]);
  });

  it("does not count PING acknowledgements", () => {
    const guard = new FloodGuard(new ServerBudget(DEFAULT_LIMITS.h2), () => undefined);
    for (let i = 0; i < 10 * DEFAULT_LIMITS.h2.maxPingsPerSecond; i++) guard.count(FrameType.PING, 0x1, PING);
  });
});
