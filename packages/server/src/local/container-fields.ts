import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { FieldAdaptor } from "./filters/index.js";

/** What a container filter can see, read straight from the stored bytes. */
interface FilterableFields {
  id: string;
  image: string;
  runtimeName: string;
  readonly labels: Map<string, string>;
}

// Field numbers of containerd.services.containers.v1.Container (spec §4.1).
const ID = 1;
const LABELS = 2;
const IMAGE = 3;
const RUNTIME = 4;
const RUNTIME_NAME = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

/**
 * The fields a container filter can see (containerd `metadata/adaptors.go`):
 * `id`, `image` and `runtime.name` when non-empty, and `labels.<key>` when the key
 * exists. Everything else, e.g. `snapshotter`, is never present.
 *
 * Reads only those fields from the encoded container, on first use, skipping the
 * spec, extensions and the rest: filters run without building a Container.
 */
export function containerFields(encoded: Uint8Array): FieldAdaptor {
  let fields: FilterableFields | undefined;
  return {
    field(path) {
      fields ??= readFilterableFields(encoded);
      switch (path[0]) {
        case "id":
          return path.length === 1 ? nonEmpty(fields.id) : undefined;
        case "image":
          return path.length === 1 ? nonEmpty(fields.image) : undefined;
        case "runtime":
          return path.length === 2 && path[1] === "name" ? nonEmpty(fields.runtimeName) : undefined;
        case "labels":
          return path.length > 1 ? fields.labels.get(path.slice(1).join(".")) : undefined;
        default:
          return undefined;
      }
    },
  };
}

function readFilterableFields(encoded: Uint8Array): FilterableFields {
  const fields: FilterableFields = { id: "", image: "", runtimeName: "", labels: new Map() };
  const reader = new BinaryReader(encoded);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, number);
      continue;
    }
    switch (number) {
      case ID:
        fields.id = reader.string();
        break;
      case IMAGE:
        fields.image = reader.string();
        break;
      case LABELS: {
        const [key, value] = readStringPair(reader.bytes(), ENTRY_KEY, ENTRY_VALUE);
        fields.labels.set(key, value);
        break;
      }
      case RUNTIME:
        fields.runtimeName = readStringPair(reader.bytes(), RUNTIME_NAME, -1)[0];
        break;
      default:
        reader.skip(wireType, number);
    }
  }
  return fields;
}

/** Reads the (last) string fields `first` and `second` of a nested message. */
function readStringPair(encoded: Uint8Array, first: number, second: number): [string, string] {
  const reader = new BinaryReader(encoded);
  let a = "";
  let b = "";
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (wireType === WireType.LengthDelimited && number === first) a = reader.string();
    else if (wireType === WireType.LengthDelimited && number === second) b = reader.string();
    else reader.skip(wireType, number);
  }
  return [a, b];
}

function nonEmpty(value: string): string | undefined {
  return value === "" ? undefined : value;
}
