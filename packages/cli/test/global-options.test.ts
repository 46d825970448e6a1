import { defaultSocketPath } from "@berth/client/node";
import { describe, expect, it } from "vitest";
import { resolveGlobalOptions } from "../src/global-options.js";

describe("resolveGlobalOptions", () => {
  it("defaults to the default socket, namespace default, gRPC and no timeout", () => {
    const env = { XDG_RUNTIME_DIR: "/run/user/1000" };
    expect(resolveGlobalOptions({}, env)).toEqual({
      address: defaultSocketPath(env),
      namespace: "default",
      protocol: "grpc",
    });
  });

  it("takes the address from BERTH_ADDRESS before CONTAINERD_ADDRESS", () => {
    expect(resolveGlobalOptions({}, { BERTH_ADDRESS: "/a.sock", CONTAINERD_ADDRESS: "/b.sock" }).address).toBe(
      "/a.sock",
    );
    expect(resolveGlobalOptions({}, { CONTAINERD_ADDRESS: "/b.sock" }).address).toBe("/b.sock");
    expect(resolveGlobalOptions({}, { BERTH_ADDRESS: "", CONTAINERD_ADDRESS: "/b.sock" }).address).toBe("/b.sock");
  });

  it("prefers flags to the environment", () => {
    const env = { BERTH_ADDRESS: "/a.sock", CONTAINERD_NAMESPACE: "envns" };
    expect(resolveGlobalOptions({ address: "/flag.sock", namespace: "flagns" }, env)).toMatchObject({
      address: "/flag.sock",
      namespace: "flagns",
    });
  });

  it("takes the namespace from CONTAINERD_NAMESPACE unless it is empty", () => {
    expect(resolveGlobalOptions({}, { CONTAINERD_NAMESPACE: "envns" }).namespace).toBe("envns");
    expect(resolveGlobalOptions({}, { CONTAINERD_NAMESPACE: "" }).namespace).toBe("default");
  });

  it("passes the timeout and protocol through", () => {
    expect(resolveGlobalOptions({ timeout: 5000, protocol: "connect" }, {})).toMatchObject({
      timeoutMs: 5000,
      protocol: "connect",
    });
  });
});
