import type { FuzzCase, InputClass } from "./fuzz-cases.js";
import type { Status } from "./fuzz-protocols.js";
import type { RawResponse } from "./fuzz-transport.js";

/** gRPC codes by name, for the allowed sets below. */
export const CODE = {
  OK: 0,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
} as const;

/**
 * What any hostile body may get: success or a domain answer when the bytes happen to form a valid
 * request, InvalidArgument for bad values, Internal for undecodable protobuf (as grpc-go and connect
 * answer), Unimplemented for missing or extra unary messages, ResourceExhausted for limits. Never
 * Unknown: that is an error nobody mapped.
 */
const ANY_BODY = [
  CODE.OK,
  CODE.InvalidArgument,
  CODE.NotFound,
  CODE.AlreadyExists,
  CODE.ResourceExhausted,
  CODE.FailedPrecondition,
  CODE.Unimplemented,
  CODE.Internal,
];

const ALLOWED: Record<InputClass, readonly number[]> = {
  "random-bytes": ANY_BODY,
  mutated: ANY_BODY,
  "invalid-utf8": ANY_BODY,
  "namespace-header": ANY_BODY,
  "content-type": ANY_BODY,
  "truncated-envelope": [CODE.InvalidArgument, CODE.Unimplemented, CODE.Internal],
  "declared-oversize": [CODE.ResourceExhausted],
  "actual-oversize": [CODE.ResourceExhausted],
  "label-map": [CODE.OK, CODE.InvalidArgument, CODE.NotFound, CODE.AlreadyExists, CODE.FailedPrecondition],
  "filter-list": [CODE.InvalidArgument],
  regex: [CODE.OK],
};

/** HTTP statuses that are a complete answer without a gRPC status: an unsupported content type is not an RPC. */
const BARE_HTTP_ANSWERS: Partial<Record<InputClass, readonly number[]>> = { "content-type": [415] };

/** Text that would leak berthd's internals: stack frames and file system paths. */
const LEAKS = [/\n\s+at /, / {4}at /, /\/work\//, /\/tmp\//, /node_modules/, /\.ts:\d+/];

/**
 * Judges one response: complete within the time limit, a status from the set allowed for the input
 * class (DeadlineExceeded too when the call carried a deadline), no internals in the message.
 * Returns the problem, or undefined when the response is acceptable.
 */
export function judge(
  fuzzCase: FuzzCase,
  response: RawResponse,
  status: Status | undefined,
  hadDeadline: boolean,
): string | undefined {
  if (response.hung) return "no complete response within the time limit";
  if (status === undefined) {
    const http = response.httpStatus;
    if (http !== undefined && BARE_HTTP_ANSWERS[fuzzCase.inputClass]?.includes(http)) return undefined;
    // Bidi streams need HTTP/2; connect-node answers them over HTTP/1.1 with 505 HTTP Version Not Supported.
    if (http === 505 && fuzzCase.method.methodKind === "bidi_streaming" && fuzzCase.protocol.transport === "h1") {
      return undefined;
    }
    if (response.error !== undefined) return `transport error without a status: ${response.error}`;
    if (http !== undefined && http >= 500) return `HTTP ${http} without a status`;
    return `no status (HTTP ${http}): ${response.body.subarray(0, 120).toString("utf8")}`;
  }
  const allowed = ALLOWED[fuzzCase.inputClass];
  if (!allowed.includes(status.code) && !(hadDeadline && status.code === CODE.DeadlineExceeded)) {
    return `status ${status.code} ${JSON.stringify(status.message.slice(0, 200))} is not one of [${allowed.join(", ")}]`;
  }
  const leak = LEAKS.find((pattern) => pattern.test(status.message));
  if (leak !== undefined) return `message leaks internals (${leak}): ${status.message.slice(0, 300)}`;
  return undefined;
}
