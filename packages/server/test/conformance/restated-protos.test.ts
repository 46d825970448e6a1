/**
 * Every containerd and CRI proto restated in proto/ against its source of
 * truth: containerd 1.6.20's protos as Debian's golang-github-containerd-containerd-dev
 * ships them (compiled by buf), and the descriptors compiled into Debian's
 * containerd binary (the only Debian copy of CRI's runtime.v1). Each message,
 * field, enum value and method must have the same name, number, type, label
 * and streaming — and nothing may be missing or extra.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { DescFile } from "@bufbuild/protobuf";
import { isFieldSet } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { embeddedDescriptors } from "../../../../scripts/containerd-descriptors.mjs";
import { CONTAINERD } from "../support/containerd-process.js";
import { debianContainerdProtos } from "../support/reference-protos.js";

const GEN = fileURLToPath(new URL("../../../../gen/", import.meta.url));
const CONTAINERD_API = "github.com/containerd/containerd/api/";

/** Every restated file of Berth's, by its name in proto/. */
async function restatedFiles(): Promise<Map<string, FileDescriptorProto>> {
  const files = new Map<string, FileDescriptorProto>();
  const visit = async (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.name.endsWith("_pb.ts")) {
        const module: Record<string, unknown> = await import(
          `@berth/gen/${relative(GEN, path).replace(/\.ts$/, ".js")}`
        );
        for (const value of Object.values(module)) {
          if ((value as DescFile | undefined)?.kind === "file") {
            const file = (value as DescFile).proto;
            files.set(file.name, file);
          }
        }
      }
    }
  };
  for (const root of ["containerd", "runtime", "runtimeoptions"]) await visit(join(GEN, root));
  return files;
}

/** The binary's name of each restated file whose package lives outside containerd's api/ directory. */
const BINARY_NAMES: Record<string, string> = {
  "containerd/runc/v1/options.proto": "github.com/containerd/containerd/runtime/v2/runc/options/oci.proto",
  "runtimeoptions/v1/api.proto": "github.com/containerd/containerd/pkg/runtimeoptions/v1/api.proto",
  "runtime/v1/api.proto": "api.proto",
};

function binaryName(name: string): string {
  return BINARY_NAMES[name] ?? `${CONTAINERD_API}${name.slice("containerd/".length)}`;
}

/** One line per message, field, enum value and method: what the wire depends on, sorted. */
function wireShape(file: FileDescriptorProto): string[] {
  const lines: string[] = [];
  const enumLines = (scope: string, enumType: EnumDescriptorProto) => {
    for (const value of enumType.value) lines.push(`enum ${scope}${enumType.name} ${value.name} = ${value.number}`);
    if (enumType.value.length === 0) lines.push(`enum ${scope}${enumType.name}`);
  };
  const messageLines = (scope: string, message: DescriptorProto) => {
    const name = `${scope}${message.name}`;
    lines.push(`message ${name}${message.options?.mapEntry ? " (map entry)" : ""}`);
    for (const field of message.field) {
      const oneof = isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex)
        ? ` oneof ${message.oneofDecl[field.oneofIndex]?.name}`
        : "";
      const optional = field.proto3Optional ? " optional" : "";
      lines.push(
        `field ${name}.${field.name} = ${field.number} label ${field.label} type ${field.type} ${field.typeName}${oneof}${optional}`,
      );
    }
    for (const nested of message.enumType) enumLines(`${name}.`, nested);
    for (const nested of message.nestedType) messageLines(`${name}.`, nested);
  };
  const scope = `${file.package}.`;
  for (const message of file.messageType) messageLines(scope, message);
  for (const enumType of file.enumType) enumLines(scope, enumType);
  for (const service of file.service) {
    for (const method of service.method) {
      const input = `${method.clientStreaming ? "stream " : ""}${method.inputType}`;
      const output = `${method.serverStreaming ? "stream " : ""}${method.outputType}`;
      lines.push(`rpc ${scope}${service.name}/${method.name}(${input}) returns (${output})`);
    }
  }
  return lines.sort();
}

describe("the restated containerd and CRI protos", async () => {
  const ours = await restatedFiles();
  const debian = debianContainerdProtos();
  const binary = embeddedDescriptors(CONTAINERD);

  it("restate every gRPC service file of containerd 1.6.20's API, and its types and events", () => {
    const api = [...debian.keys()].filter((name) => name.startsWith(CONTAINERD_API) && !name.includes("/ttrpc/"));
    expect(api.length).toBeGreaterThan(20);
    const restated = [...ours.keys()].map(binaryName);
    expect(api.filter((name) => !restated.includes(name))).toEqual([]);
  });

  it.each([...ours.keys()].filter((name) => name.startsWith("containerd/") && !(name in BINARY_NAMES)))(
    "%s matches Debian's protos",
    (name) => {
      const reference = debian.get(binaryName(name));
      expect(reference, `Debian has ${binaryName(name)}`).toBeDefined();
      expect(wireShape(ours.get(name) as FileDescriptorProto)).toEqual(wireShape(reference as FileDescriptorProto));
    },
  );

  it.each([...ours.keys()])("%s matches the descriptor compiled into containerd", (name) => {
    const file = ours.get(name) as FileDescriptorProto;
    const reference = binary.find(
      (candidate) => candidate.name === binaryName(name) && candidate.package === file.package,
    );
    expect(reference, `containerd has ${binaryName(name)} (${file.package})`).toBeDefined();
    expect(wireShape(file)).toEqual(wireShape(reference as FileDescriptorProto));
  });
});
