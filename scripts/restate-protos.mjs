#!/usr/bin/env node
// Restates the parts of containerd 1.6.20's API that Berth does not write by
// hand — content, diff, images, snapshots, tasks, their types and events, and
// CRI's runtime.v1 — as .proto files under proto/, from the descriptors
// compiled into Debian's containerd binary (see containerd-descriptors.mjs).
// Names, numbers, types and streaming are the wire contract and are kept
// exactly; gogo's Go-only options are dropped. Run once per containerd
// version, then `npm run generate`; packages/server/test/unit/restated-protos
// checks the result against Debian's protos and the binary.
//
//   node scripts/restate-protos.mjs [/usr/bin/containerd]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isFieldSet } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { embeddedDescriptors } from "./containerd-descriptors.mjs";

const CONTAINERD_API = "github.com/containerd/containerd/api/";

/** The restated files: (file name in the binary, package) → path under proto/. */
export const RESTATED = [
  ["services/content/v1/content.proto", "containerd.services.content.v1"],
  ["services/diff/v1/diff.proto", "containerd.services.diff.v1"],
  ["services/images/v1/images.proto", "containerd.services.images.v1"],
  ["services/snapshots/v1/snapshots.proto", "containerd.services.snapshots.v1"],
  ["services/tasks/v1/tasks.proto", "containerd.services.tasks.v1"],
  ["types/descriptor.proto", "containerd.types"],
  ["types/metrics.proto", "containerd.types"],
  ["types/mount.proto", "containerd.types"],
  ["types/task/task.proto", "containerd.v1.types"],
  ["events/content.proto", "containerd.events"],
  ["events/image.proto", "containerd.services.images.v1"],
  ["events/snapshot.proto", "containerd.events"],
  ["events/task.proto", "containerd.events"],
].map(([path, pkg]) => ({ source: CONTAINERD_API + path, pkg, target: `containerd/${path}` }));
RESTATED.push({ source: "api.proto", pkg: "runtime.v1", target: "runtime/v1/api.proto" });

/** Where the restated files' imports live in proto/ (others, google/protobuf's, keep their names). */
function importPath(name) {
  if (name.startsWith(CONTAINERD_API)) return `containerd/${name.slice(CONTAINERD_API.length)}`;
  return name;
}

const SCALARS = new Map([
  [FieldDescriptorProto_Type.DOUBLE, "double"],
  [FieldDescriptorProto_Type.FLOAT, "float"],
  [FieldDescriptorProto_Type.INT64, "int64"],
  [FieldDescriptorProto_Type.UINT64, "uint64"],
  [FieldDescriptorProto_Type.INT32, "int32"],
  [FieldDescriptorProto_Type.FIXED64, "fixed64"],
  [FieldDescriptorProto_Type.FIXED32, "fixed32"],
  [FieldDescriptorProto_Type.BOOL, "bool"],
  [FieldDescriptorProto_Type.STRING, "string"],
  [FieldDescriptorProto_Type.BYTES, "bytes"],
  [FieldDescriptorProto_Type.UINT32, "uint32"],
  [FieldDescriptorProto_Type.SFIXED32, "sfixed32"],
  [FieldDescriptorProto_Type.SFIXED64, "sfixed64"],
  [FieldDescriptorProto_Type.SINT32, "sint32"],
  [FieldDescriptorProto_Type.SINT64, "sint64"],
]);

/** Prints one FileDescriptorProto as proto3 source. */
function printFile(file, source) {
  const out = [];
  const line = (depth, text) => out.push(`${"  ".repeat(depth)}${text}`);
  const typeName = (field) => {
    const scalar = SCALARS.get(field.type);
    if (scalar !== undefined) return scalar;
    const full = field.typeName.slice(1);
    return full.startsWith(`${file.package}.`) ? full.slice(file.package.length + 1) : full;
  };
  const fieldOptions = (field) => {
    const options = [];
    if (field.options?.deprecated) options.push("deprecated = true");
    if (field.options && isFieldSet(field.options, FieldOptionsSchema.field.packed) && !field.options.packed) {
      options.push("packed = false");
    }
    return options.length === 0 ? "" : ` [${options.join(", ")}]`;
  };
  const printEnum = (depth, enumType) => {
    line(depth, `enum ${enumType.name} {`);
    if (enumType.options?.allowAlias) line(depth + 1, "option allow_alias = true;");
    for (const value of enumType.value) {
      line(depth + 1, `${value.name} = ${value.number}${value.options?.deprecated ? " [deprecated = true]" : ""};`);
    }
    line(depth, "}");
  };
  const printMessage = (depth, message) => {
    line(depth, `message ${message.name} {`);
    if (message.options?.deprecated) line(depth + 1, "option deprecated = true;");
    const entries = new Map(
      message.nestedType.filter((nested) => nested.options?.mapEntry).map((entry) => [entry.name, entry]),
    );
    const fieldLine = (field) => {
      const entry =
        field.type === FieldDescriptorProto_Type.MESSAGE ? entries.get(field.typeName.split(".").pop()) : undefined;
      let type;
      if (entry !== undefined) {
        const [key, value] = entry.field;
        type = `map<${typeName(key)}, ${typeName(value)}>`;
      } else {
        const label = field.label === FieldDescriptorProto_Label.REPEATED ? "repeated " : "";
        type = `${field.proto3Optional ? "optional " : label}${typeName(field)}`;
      }
      return `${type} ${field.name} = ${field.number}${fieldOptions(field)};`;
    };
    const printedOneofs = new Set();
    for (const field of message.field) {
      const oneof = isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex) ? field.oneofIndex : undefined;
      if (oneof === undefined || field.proto3Optional) {
        line(depth + 1, fieldLine(field));
        continue;
      }
      if (printedOneofs.has(oneof)) continue;
      printedOneofs.add(oneof);
      line(depth + 1, `oneof ${message.oneofDecl[oneof].name} {`);
      for (const member of message.field.filter(
        (candidate) =>
          isFieldSet(candidate, FieldDescriptorProtoSchema.field.oneofIndex) && candidate.oneofIndex === oneof,
      )) {
        line(depth + 2, fieldLine(member));
      }
      line(depth + 1, "}");
    }
    for (const range of message.reservedRange) {
      const last = range.end - 1;
      line(depth + 1, `reserved ${range.start === last ? range.start : `${range.start} to ${last}`};`);
    }
    if (message.reservedName.length > 0) {
      line(depth + 1, `reserved ${message.reservedName.map((name) => JSON.stringify(name)).join(", ")};`);
    }
    for (const nested of message.enumType) printEnum(depth + 1, nested);
    for (const nested of message.nestedType) if (!nested.options?.mapEntry) printMessage(depth + 1, nested);
    line(depth, "}");
  };

  line(0, `// Restated from containerd 1.6.20's ${source} by scripts/restate-protos.mjs`);
  line(0, "// (from the descriptor compiled into Debian's containerd); do not edit by hand.");
  line(0, "// Names, field numbers and types are the wire contract.");
  line(0, 'syntax = "proto3";');
  line(0, "");
  line(0, `package ${file.package};`);
  line(0, "");
  // gogo's and containerd's own option files only shape generated Go.
  const imports = file.dependency.filter((name) => name.startsWith("google/") || name.startsWith(CONTAINERD_API));
  for (const name of imports.map(importPath).sort()) line(0, `import "${name}";`);
  if (imports.length > 0) line(0, "");
  if (file.options?.goPackage) {
    line(0, `option go_package = "${file.options.goPackage}";`);
    line(0, "");
  }
  const blocks = [
    ...file.service.map((service) => () => {
      line(0, `service ${service.name} {`);
      for (const method of service.method) {
        const input = typeName({ typeName: method.inputType });
        const output = typeName({ typeName: method.outputType });
        const request = `${method.clientStreaming ? "stream " : ""}${input}`;
        const response = `${method.serverStreaming ? "stream " : ""}${output}`;
        line(1, `rpc ${method.name}(${request}) returns (${response});`);
      }
      line(0, "}");
    }),
    ...file.messageType.map((message) => () => printMessage(0, message)),
    ...file.enumType.map((enumType) => () => printEnum(0, enumType)),
  ];
  blocks.forEach((print, index) => {
    if (index > 0) line(0, "");
    print();
  });
  return `${out.join("\n")}\n`;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const binary = process.argv[2] ?? "/usr/bin/containerd";
  const files = embeddedDescriptors(binary);
  const root = join(dirname(new URL(import.meta.url).pathname), "..", "proto");
  for (const { source, pkg, target } of RESTATED) {
    const file = files.find((candidate) => candidate.name === source && candidate.package === pkg);
    if (file === undefined) throw new Error(`${binary} has no descriptor ${source} (${pkg})`);
    mkdirSync(dirname(join(root, target)), { recursive: true });
    writeFileSync(join(root, target), printFile(file, source));
    console.log(`proto/${target}`);
  }
}
