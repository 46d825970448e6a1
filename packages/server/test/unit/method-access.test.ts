/**
 * The read-only credential's table against containerd 1.6.20's own protos
 * (Debian's golang-github-containerd-containerd-dev): every method of every
 * containerd service is classified as reading or changing, exactly once, and
 * the table names no method containerd lacks. A method containerd adds fails
 * this test until someone decides which it is.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ImageService, RuntimeService } from "@berth/gen/runtime/v1/api_pb.js";
import { describe, expect, it } from "vitest";
import { CONTAINERD_METHODS, isReadOnlyMethod } from "../../src/rpc/interceptors/method-access.js";

const API = "/usr/share/gocode/src/github.com/containerd/containerd/api/services";

/** `/package.Service/Method` of every rpc in the gRPC services of containerd's protos. */
function containerdMethods(): string[] {
  if (!existsSync(API)) throw new Error(`${API} is missing: install golang-github-containerd-containerd-dev`);
  const paths: string[] = [];
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      // ttrpc's services are served on containerd's ttrpc socket, never over gRPC.
      if (entry.isDirectory() && entry.name !== "ttrpc") visit(path);
      else if (entry.name.endsWith(".proto")) {
        const text = readFileSync(path, "utf8");
        const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1];
        for (const service of text.matchAll(/^service\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
          for (const rpc of (service[2] ?? "").matchAll(/^\s*rpc\s+(\w+)\s*\(/gm)) {
            paths.push(`/${pkg}.${service[1]}/${rpc[1]}`);
          }
        }
      }
    }
  };
  visit(API);
  return paths.sort();
}

function classified(table: Record<string, readonly string[]>): string[] {
  return Object.entries(table)
    .filter(([service]) => service.startsWith("containerd."))
    .flatMap(([service, methods]) => methods.map((method) => `/${service}/${method}`));
}

describe("the read-only credential's method table", () => {
  const methods = containerdMethods();
  const reads = classified(CONTAINERD_METHODS.reads);
  const changes = classified(CONTAINERD_METHODS.changes);

  it("finds containerd's services in its protos", () => {
    expect(methods.length).toBeGreaterThan(60);
  });

  it("classifies every containerd method exactly once", () => {
    expect([...reads, ...changes].sort()).toEqual(methods);
  });

  it("classifies every method of CRI's runtime.v1 (as restated from containerd 1.6.20) exactly once", () => {
    const cri = [RuntimeService, ImageService].flatMap((service) =>
      service.methods.map((method) => `/${service.typeName}/${method.name}`),
    );
    expect(cri.length).toBeGreaterThan(30);
    const readsAndChanges = [
      ...Object.entries(CONTAINERD_METHODS.reads),
      ...Object.entries(CONTAINERD_METHODS.changes),
    ].flatMap(([service, methods]) => methods.map((method) => `/${service}/${method}`));
    for (const path of cri) {
      expect(
        readsAndChanges.filter((classifiedPath) => classifiedPath === path),
        path,
      ).toHaveLength(1);
    }
    expect(isReadOnlyMethod("/runtime.v1.RuntimeService/ListContainers")).toBe(true);
    expect(isReadOnlyMethod("/runtime.v1.RuntimeService/ExecSync")).toBe(false);
    expect(isReadOnlyMethod("/runtime.v1.ImageService/PullImage")).toBe(false);
  });

  it("lets the read-only credential call the reading methods only", () => {
    for (const path of reads) expect(isReadOnlyMethod(path), path).toBe(true);
    for (const path of changes) expect(isReadOnlyMethod(path), path).toBe(false);
    expect(isReadOnlyMethod("/containerd.services.sandbox.v1.Store/Create")).toBe(false);
    expect(isReadOnlyMethod("/unknown.Service/Get")).toBe(false);
  });
});
