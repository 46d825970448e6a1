import { Code, ConnectError } from "@berth/client";
import { describe, expect, it } from "vitest";
import { describeError } from "../src/errors.js";

function systemError(code: string, syscall: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, syscall });
}

describe("describeError", () => {
  it("prints a ConnectError's raw message, without the [code] prefix", () => {
    const error = new ConnectError('container "c1": already exists', Code.AlreadyExists);
    expect(error.message).toBe('[already_exists] container "c1": already exists');
    expect(describeError(error, "/s.sock")).toBe('container "c1": already exists');
  });

  it.each([
    ["ENOENT", Code.Internal, "no such socket (ENOENT)"],
    ["ECONNREFUSED", Code.Unavailable, "connection refused (ECONNREFUSED)"],
    ["EACCES", Code.Unavailable, "permission denied (EACCES)"],
    ["EWHATEVER", Code.Unavailable, "connect EWHATEVER /s.sock"],
  ])("names the address when connect fails with %s", (code, connectCode, words) => {
    const cause = systemError(code, "connect", `connect ${code} /s.sock`);
    const error = new ConnectError(cause.message, connectCode, undefined, undefined, cause);
    expect(describeError(error, "/s.sock")).toBe(`cannot connect to berthd at /s.sock: ${words}`);
  });

  it("does not blame the connection for other system errors", () => {
    const cause = systemError("ENOENT", "open", "open ENOENT x");
    expect(describeError(new ConnectError("boom", Code.Internal, undefined, undefined, cause), "/s.sock")).toBe("boom");
  });

  it("prints other errors' messages", () => {
    expect(describeError(new Error("bad"), "/s.sock")).toBe("bad");
    expect(describeError("text", "/s.sock")).toBe("text");
  });
});
