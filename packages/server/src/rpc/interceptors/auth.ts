import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { isReadOnlyMethod } from "./method-access.js";

/**
 * Whether the call arrived on the unix socket. Its file permissions decide who
 * may connect, as for containerd's socket, so calls there need no token. The
 * default is false: a call whose origin was not established is treated as coming
 * from the network.
 */
export const viaUnixSocketKey = createContextKey(false, { description: "berthd: call arrived on the unix socket" });

const BEARER = /^bearer +(\S+)$/i;
/** Printable ASCII without spaces: anything else could never be sent in the header. */
const TOKEN_SYNTAX = /^[\x21-\x7e]+$/;

/** The bearer tokens of the TCP listener. */
export interface BearerTokens {
  /** May call every method (`--token-file`). */
  readonly full?: string | undefined;
  /** May call only methods that change nothing (`--read-only-token-file`). */
  readonly readOnly?: string | undefined;
}

/** A call refused by {@link createAccessCheck}. */
export interface Refusal {
  readonly code: Code.Unauthenticated | Code.PermissionDenied;
  readonly message: string;
  /** The credential presented, for the log: `read-only token`, or none. */
  readonly credential?: string;
}

/**
 * Decides whether a call over TCP with `authorization` may call the method at
 * `path`: Unauthenticated without a token that matches, PermissionDenied for
 * the read-only token on a method that changes something (see
 * `method-access.ts`). Undefined when the call may go on.
 */
export function createAccessCheck(
  tokens: BearerTokens,
): (authorization: string | undefined, path: string) => Refusal | undefined {
  const full = tokens.full === undefined ? undefined : createBearerCheck(tokens.full);
  const readOnly = tokens.readOnly === undefined ? undefined : createBearerCheck(tokens.readOnly);
  return (authorization, path) => {
    const fullProblem = full?.(authorization);
    if (full !== undefined && fullProblem === undefined) return undefined;
    const readOnlyProblem = readOnly?.(authorization);
    if (readOnly !== undefined && readOnlyProblem === undefined) {
      if (isReadOnlyMethod(path)) return undefined;
      return {
        code: Code.PermissionDenied,
        message: `the read-only token may not call ${path.slice(1)}: it changes containerd's state`,
        credential: "read-only token",
      };
    }
    const message = fullProblem ?? readOnlyProblem ?? "invalid bearer token";
    return { code: Code.Unauthenticated, message };
  };
}

/**
 * Requires a bearer token (see {@link createAccessCheck}) on every call that
 * did not arrive on the unix socket. The comparison takes the same time
 * whatever the presented token, and no message repeats it. Both of berthd's
 * call paths (the Connect adapter and the gRPC fast path) run this one
 * interceptor; `onRefused` hears of each call it refuses.
 */
export function createTokenInterceptor(
  tokens: BearerTokens,
  onRefused: (refusal: Refusal, path: string) => void = () => undefined,
): Interceptor {
  const check = createAccessCheck(tokens);
  return (next) => async (request) => {
    if (request.contextValues.get(viaUnixSocketKey)) return next(request);
    const path = `/${request.service.typeName}/${request.method.name}`;
    const refusal = check(request.header.get("authorization") ?? undefined, path);
    if (refusal !== undefined) {
      onRefused(refusal, path);
      throw new ConnectError(refusal.message, refusal.code);
    }
    return next(request);
  };
}

/**
 * Checks an `authorization` header against the token: undefined when it carries
 * it, else what is wrong (never repeating the token). The comparison takes the
 * same time whatever the presented token.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => string | undefined {
  const expected = digest(token);
  return (authorization) => {
    if (authorization === undefined) return "missing bearer token: send header `authorization: Bearer <token>`";
    const presented = BEARER.exec(authorization)?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) return "invalid bearer token";
    return undefined;
  };
}

/** Hashing first makes the comparison independent of the presented token's length. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * Reads the bearer token from `path` (`--token-file`): one token, surrounding
 * whitespace ignored. Refuses an empty or malformed token, and a file that
 * other users may read or write (as ssh refuses a private key: the token is a
 * password).
 */
export async function readTokenFile(path: string): Promise<string> {
  let contents: string;
  let mode: number;
  try {
    mode = (await stat(path)).mode;
    contents = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read --token-file ${path}${code === undefined ? "" : ` (${code})`}`);
  }
  if ((mode & 0o007) !== 0) {
    throw new Error(
      `--token-file ${path} is accessible to other users (mode ${(mode & 0o777).toString(8)}); chmod o-rwx it`,
    );
  }
  const token = contents.trim();
  if (token === "") throw new Error(`--token-file ${path} is empty`);
  if (!TOKEN_SYNTAX.test(token)) {
    throw new Error(`--token-file ${path} must hold one token of printable ASCII characters without spaces`);
  }
  return token;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * Whether `host` names this machine only: 127.0.0.0/8 (also IPv4-mapped), ::1
 * or `localhost`. Any other name counts as reachable from the network, since
 * what it resolves to may change.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  if (isIPv4(host)) return LOOPBACK.check(host, "ipv4");
  return isIPv6(host) && LOOPBACK.check(host, "ipv6");
}

/** How the TCP listener is protected, for {@link checkTcpAccess}. */
export interface TcpProtection {
  readonly tls: boolean;
  readonly token: boolean;
}

/**
 * Refuses to serve TCP beyond loopback without TLS or a bearer token: anyone
 * who can reach the port could otherwise read and change every record.
 */
export function checkTcpAccess(
  listen: { readonly host: string; readonly port: number },
  protection: TcpProtection,
): void {
  if (isLoopbackHost(listen.host) || protection.tls || protection.token) return;
  const host = isIPv6(listen.host) ? `[${listen.host}]` : listen.host;
  throw new Error(
    `refusing to serve ${host}:${listen.port} without protection: it is not a loopback address; ` +
      "give --tls-cert and --tls-key, or --token-file, or listen on 127.0.0.1",
  );
}
