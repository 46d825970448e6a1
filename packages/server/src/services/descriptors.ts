import { createRegistry, type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * The descriptors behind a set of services, indexed the way gRPC reflection asks
 * for them. Every file answer is the file itself, encoded as a
 * `google.protobuf.FileDescriptorProto`, followed by each file it imports,
 * directly or not, once each; `undefined` means there is no such file or symbol.
 */
export interface DescriptorIndex {
  /** Full names of the services, sorted, each once. */
  readonly serviceNames: readonly string[];
  /** The file of this name, e.g. `containerd/services/containers/v1/containers.proto`. */
  fileByName(fileName: string): readonly Uint8Array[] | undefined;
  /**
   * The file declaring a fully-qualified service, method, message (nested or
   * not), field, oneof, enum, enum value or extension. Enum values are named in
   * their enum's enclosing scope, as in protobuf (`grpc.health.v1.HealthCheckResponse.SERVING`).
   */
  fileContainingSymbol(symbol: string): readonly Uint8Array[] | undefined;
  /** The file declaring extension `number` of message `typeName`. */
  fileContainingExtension(typeName: string, number: number): readonly Uint8Array[] | undefined;
  /** The extension numbers declared for message `typeName`, or `undefined` if there is no such message. */
  extensionNumbers(typeName: string): readonly number[] | undefined;
}

/**
 * Indexes the files declaring `services`, the `extraFiles`, and all their
 * transitive imports (well-known types included). Every file is encoded once, here.
 */
export function createDescriptorIndex(
  services: readonly DescService[],
  extraFiles: readonly DescFile[] = [],
): DescriptorIndex {
  const files = new Map<string, DescFile>();
  for (const root of [...services.map((service) => service.file), ...extraFiles]) {
    for (const file of withImports(root)) if (!files.has(file.proto.name)) files.set(file.proto.name, file);
  }

  const encoded = new Map<string, Uint8Array>();
  for (const [name, file] of files) encoded.set(name, toBinary(FileDescriptorProtoSchema, file.proto));
  const encodedFile = (file: DescFile) => encoded.get(file.proto.name) ?? [];
  const answers = new Map<string, readonly Uint8Array[]>();
  for (const [name, file] of files) answers.set(name, withImports(file).flatMap(encodedFile));

  const registry = createRegistry(...files.values());
  const symbols = new Map<string, string>();
  const extensionNumbers = new Map<string, number[]>();
  for (const type of registry) {
    const declare = (name: string) => symbols.set(name, type.file.proto.name);
    declare(type.typeName);
    switch (type.kind) {
      case "message":
        for (const member of [...type.fields, ...type.oneofs]) declare(`${type.typeName}.${member.name}`);
        break;
      case "enum": {
        const scope = type.parent?.typeName ?? type.file.proto.package;
        for (const value of type.values) declare(scope === "" ? value.name : `${scope}.${value.name}`);
        break;
      }
      case "service":
        for (const method of type.methods) declare(`${type.typeName}.${method.name}`);
        break;
      case "extension": {
        const numbers = extensionNumbers.get(type.extendee.typeName) ?? [];
        numbers.push(type.number);
        extensionNumbers.set(type.extendee.typeName, numbers);
        break;
      }
    }
  }

  const answerFor = (fileName: string | undefined) => (fileName === undefined ? undefined : answers.get(fileName));
  return {
    serviceNames: [...new Set(services.map((service) => service.typeName))].sort(),
    fileByName: (fileName) => answers.get(fileName),
    fileContainingSymbol: (symbol) => answerFor(symbols.get(symbol)),
    fileContainingExtension(typeName, number) {
      const extendee = registry.getMessage(typeName);
      return answerFor(extendee && registry.getExtensionFor(extendee, number)?.file.proto.name);
    },
    extensionNumbers: (typeName) =>
      registry.getMessage(typeName) === undefined ? undefined : (extensionNumbers.get(typeName) ?? []),
  };
}

/** The file, then what it imports, breadth first and each once (the order grpc-go sends them in). */
function withImports(file: DescFile): DescFile[] {
  const ordered = [file];
  const seen = new Set([file.proto.name]);
  // Iterating while appending walks the queue.
  for (const current of ordered) {
    for (const dependency of current.dependencies) {
      if (seen.has(dependency.proto.name)) continue;
      seen.add(dependency.proto.name);
      ordered.push(dependency);
    }
  }
  return ordered;
}
