import { Introspection } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import { Version } from "@berth/gen/containerd/services/version/v1/version_pb.js";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { createExchange } from "../../src/events/exchange.js";
import { createLocal } from "../../src/local/index.js";
import { errorInterceptor } from "../../src/rpc/interceptors/errors.js";
import { berthPlugins } from "../../src/services/plugins.js";
import { createRoutes, createServiceImplementations } from "../../src/services/routes.js";
import type { Database } from "../../src/store/layout.js";
import { createLevelStore } from "../../src/store/level-store.js";
import { expectStatus } from "../support/expect-status.js";
import { createInMemoryBerth } from "../support/in-memory.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
beforeEach(async () => {
  berth = await createInMemoryBerth();
});
const introspection = () => createClient(Introspection, berth.transport);
const ids = async (filters: string[]) =>
  (await introspection().plugins({ filters })).plugins.map((plugin) => `${plugin.type}/${plugin.id}`);

describe("Plugins", () => {
  it("lists every part of berthd in registration order without filters, or with the empty filter", async () => {
    const all = berthPlugins().map((plugin) => `${plugin.type}/${plugin.id}`);
    expect(all[0]).toBe("io.containerd.metadata.v1/leveldb");
    expect(await ids([])).toEqual(all);
    expect(await ids(["id==nothing", ""])).toEqual(all);
  });

  it("matches type and id with containerd's operators, ORed across filters", async () => {
    expect(await ids(["type==io.containerd.service.v1,id~=^(leases|namespaces)"])).toEqual([
      "io.containerd.service.v1/leases-service",
      "io.containerd.service.v1/namespaces-service",
    ]);
    expect(await ids(["id==events", "id==version"])).toEqual([
      "io.containerd.grpc.v1/events",
      "io.containerd.grpc.v1/version",
    ]);
    expect(await ids(["type!=io.containerd.grpc.v1,type!=io.containerd.service.v1"])).toEqual([
      "io.containerd.metadata.v1/leveldb",
      "io.containerd.event.v1/exchange",
      "io.berth.web.v1/dashboard",
    ]);
  });

  it("treats every other field as absent, as containerd's adaptor does", async () => {
    expect(await ids(["requires==io.containerd.service.v1"])).toEqual([]);
    expect(await ids(["capabilities"])).toEqual([]);
    expect((await ids(["exports!=x"])).length).toBe(berthPlugins().length);
  });

  it("carries requirements, exports and a skipped plugin's init error", async () => {
    const { plugins } = await introspection().plugins({ filters: ["id==containers-service", "id==dashboard"] });
    expect(plugins[0]?.requires).toEqual(["io.containerd.event.v1", "io.containerd.metadata.v1"]);
    expect(plugins[1]?.initErr).toMatchObject({
      code: Code.Unknown,
      message: "no TCP listener (--listen): skip plugin",
    });
    const [metadata] = (await introspection().plugins({ filters: ["id==leveldb"] })).plugins;
    expect(metadata?.exports).toEqual({ backend: "leveldb" });
    expect(berthPlugins({ databasePath: "/d/db", webApp: { root: "/w" } }).at(-1)?.exports).toEqual({ root: "/w" });
  });

  it("refuses a malformed filter with containerd's InvalidArgument text", async () => {
    await expectStatus(
      introspection().plugins({ filters: ["id~="] }),
      Code.InvalidArgument,
      "filters: parse error: [id~=]: expected value or quoted: invalid argument: invalid argument",
    );
  });
});

describe("Server", () => {
  it("answers one UUID, made once and kept in the database", async () => {
    const answers = await Promise.all([introspection().server({}), introspection().server({})]);
    const uuid = answers[0]?.uuid ?? "";
    expect(uuid).toMatch(UUID);
    expect(answers[1]?.uuid).toBe(uuid);
    expect(await berth.db.get("!meta!uuid", { valueEncoding: "utf8" })).toBe(uuid);

    // A store opened again over the same database answers the stored one.
    const reopened = await createLevelStore(berth.db as unknown as Database);
    expect(await reopened.serverUuid()).toBe(uuid);
  });

  it("fails, as containerd does, when the stored UUID is not one", async () => {
    await berth.db.put("!meta!uuid", new TextEncoder().encode("not-a-uuid"));
    const store = await createLevelStore(berth.db as unknown as Database);
    const local = createLocal(store, createExchange());
    const transport = createRouterTransport(createRoutes(createServiceImplementations(local)), {
      router: { interceptors: [errorInterceptor] },
    });
    await expectStatus(
      createClient(Introspection, transport).server({}),
      Code.Unknown,
      'invalid UUID "not-a-uuid" in the database',
    );
  });
});

describe("Version", () => {
  it("reports the build it is given, and unknown without one", async () => {
    expect(await createClient(Version, berth.transport).version({})).toMatchObject({
      version: "unknown",
      revision: "unknown",
    });
    const local = createLocal(berth.store, berth.exchange);
    const build = { version: "0.1.0", revision: "1a2b3c4d5e6f" };
    const transport = createRouterTransport(createRoutes(createServiceImplementations(local, { build })));
    expect(await createClient(Version, transport).version({})).toMatchObject(build);
  });
});
