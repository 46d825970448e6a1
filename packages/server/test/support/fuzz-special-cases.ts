import {
  Containers,
  CreateContainerRequestSchema,
  ListContainersRequestSchema,
  UpdateContainerRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Events, SubscribeRequestSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import {
  CreateRequestSchema as CreateLeaseRequestSchema,
  Leases,
  ListRequestSchema as ListLeasesRequestSchema,
} from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { CreateNamespaceRequestSchema, Namespaces } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { type FuzzCase, framed, type InputClass, MAX_MESSAGE_BYTES } from "./fuzz-cases.js";
import { encodeMessage } from "./fuzz-messages.js";
import { envelope, type Protocol } from "./fuzz-protocols.js";

/** Entries of the label maps sent to every label-writing method over every protocol. */
export const LABEL_MAP_COUNT = 10_000;

/** Entries of the huge label maps (a few MB, under the message limit). */
export const HUGE_LABEL_COUNT = 100_000;

/** Filter strings in the long filter lists: ten times berthd's limit. */
export const LONG_FILTER_COUNT = 10_000;

/** The label every regex case matches against; the suite stores long values under it first. */
export const REGEX_LABEL = "a";

/** Patterns that make a backtracking engine take exponential time on a long run of `a`. */
export const PATHOLOGICAL_PATTERNS = ["(a*)*b", "(a|aa)+$!", "^(a+)+$[b]", "(a|a?)+[^a]", "(.*a){12}[^a]"];

function labels(count: number, tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) out[`fuzz.example/${tag}-${i}`] = `value-${i}`;
  return out;
}

function build(
  protocol: Protocol,
  method: DescMethod,
  inputClass: InputClass,
  label: string,
  schema: DescMessage,
  init: unknown,
): FuzzCase {
  const body = framed(protocol, method, encodeMessage(schema, create(schema, init as never), protocol.json));
  return { inputClass, label, protocol, method, body };
}

/** Label maps of `count` entries on every call that writes labels: Create and Update of containers, namespace and lease Create. */
export function labelMapCases(protocol: Protocol, tag: string, count: number): FuzzCase[] {
  const map = labels(count, tag);
  const container = {
    id: `huge-${tag}`,
    runtime: { name: "io.containerd.runc.v2" },
    // JSON cannot carry an Any of an unregistered type; without a spec, Create fails validation after decoding.
    ...(protocol.json ? {} : { spec: { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec" } }),
    labels: map,
  };
  const label = `${count} labels`;
  return [
    build(protocol, Containers.method.create, "label-map", label, CreateContainerRequestSchema, { container }),
    build(protocol, Containers.method.update, "label-map", label, UpdateContainerRequestSchema, {
      container: { id: `huge-${tag}`, labels: map },
      updateMask: { paths: ["labels"] },
    }),
    build(protocol, Namespaces.method.create, "label-map", label, CreateNamespaceRequestSchema, {
      namespace: { name: `huge-${tag}`, labels: map },
    }),
    build(protocol, Leases.method.create, "label-map", label, CreateLeaseRequestSchema, {
      id: `huge-${tag}`,
      labels: map,
    }),
  ];
}

function filterCases(
  protocol: Protocol,
  inputClass: InputClass,
  label: string,
  filters: readonly string[],
): FuzzCase[] {
  return [
    build(protocol, Containers.method.list, inputClass, label, ListContainersRequestSchema, { filters }),
    build(protocol, Containers.method.listStream, inputClass, label, ListContainersRequestSchema, { filters }),
    build(protocol, Leases.method.list, inputClass, label, ListLeasesRequestSchema, { filters }),
    build(protocol, Events.method.subscribe, inputClass, label, SubscribeRequestSchema, { filters }),
  ];
}

/** Lists of 10,000 filters, and filters past the length and regex limits, on every call that filters. */
export function filterListCases(protocol: Protocol): FuzzCase[] {
  const many = Array.from({ length: LONG_FILTER_COUNT }, (_, i) => `labels.k${i}==v${i}`);
  const regexes = Array.from({ length: 1000 }, () => `labels.${REGEX_LABEL}~=(a*)*[b-c]`);
  return [
    ...filterCases(protocol, "filter-list", `${LONG_FILTER_COUNT} filters`, many),
    ...filterCases(protocol, "filter-list", "one filter of 100 KiB", [`id==${"x".repeat(100 * 1024)}`]),
    ...filterCases(protocol, "filter-list", "1,000 pathological regex filters", regexes),
    ...filterCases(protocol, "filter-list", "a regex of 1.3 million RE2 instructions", [
      `labels.${REGEX_LABEL}~=${"a{1000}".repeat(1300)}`,
    ]),
  ];
}

/** Pathological `~=` patterns, one call each, against the long values the suite stored. */
export function regexCases(protocol: Protocol): FuzzCase[] {
  return PATHOLOGICAL_PATTERNS.flatMap((pattern) =>
    filterCases(protocol, "regex", `${REGEX_LABEL}~=${pattern}`, [`labels.${REGEX_LABEL}~="${pattern}"`]),
  );
}

/** A message over the 16 MiB limit, actually sent: once per protocol. */
export function oversizeCase(protocol: Protocol): FuzzCase {
  const method = Leases.method.create;
  const body = encodeMessage(
    CreateLeaseRequestSchema,
    create(CreateLeaseRequestSchema, { id: "oversize", labels: { big: "x".repeat(MAX_MESSAGE_BYTES + 1024) } }),
    protocol.json,
  );
  return {
    inputClass: "actual-oversize",
    label: `${body.length} bytes sent`,
    protocol,
    method,
    body: protocol.enveloped(method) ? envelope(body) : body,
  };
}
