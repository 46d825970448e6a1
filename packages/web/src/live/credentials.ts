/**
 * The bearer token for a berthd whose TCP listener requires one
 * (`--token-file`): kept in sessionStorage (this tab only, gone with it),
 * sent with every call, and asked for when the server answers Unauthenticated.
 */
import { Code, ConnectError, type Interceptor } from "@berth/client";

const STORAGE_KEY = "berth.token";

/** Whether the app must ask for a token: none needed so far, none given, or the one given was refused. */
export type CredentialState = "ok" | "required" | "refused";

/** The token and what the server said about it. */
export interface Credentials {
  readonly state: CredentialState;
  /** Stores a token (this tab's session) and sends it from the next call on. */
  set(token: string): void;
  /** Adds `authorization: Bearer …` and notices Unauthenticated answers, unary or streamed. */
  readonly interceptor: Interceptor;
  /** Calls `listener` when {@link state} changes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Credentials backed by `storage` (sessionStorage in the app). */
export function createCredentials(storage: Pick<Storage, "getItem" | "setItem"> | undefined): Credentials {
  let token = readToken(storage);
  let state: CredentialState = "ok";
  const listeners = new Set<() => void>();
  const setState = (next: CredentialState) => {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener();
  };
  const notice = (error: unknown, sent: string | undefined) => {
    if (!(error instanceof ConnectError) || error.code !== Code.Unauthenticated) return;
    // A refusal of a token already replaced must not undo the new one.
    if (sent === token) setState(sent === undefined ? "required" : "refused");
  };
  const interceptor: Interceptor = (next) => async (request) => {
    const sent = token;
    if (sent !== undefined) request.header.set("authorization", `Bearer ${sent}`);
    try {
      const response = await next(request);
      if (!response.stream) return response;
      const messages = response.message;
      return {
        ...response,
        message: (async function* watched() {
          try {
            yield* messages;
          } catch (error) {
            notice(error, sent);
            throw error;
          }
        })(),
      };
    } catch (error) {
      notice(error, sent);
      throw error;
    }
  };
  return {
    get state() {
      return state;
    },
    set(value) {
      token = value === "" ? undefined : value;
      try {
        storage?.setItem(STORAGE_KEY, value);
      } catch {
        // Without storage the token lasts as long as the page.
      }
      setState("ok");
    },
    interceptor,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function readToken(storage: Pick<Storage, "getItem"> | undefined): string | undefined {
  try {
    return storage?.getItem(STORAGE_KEY) || undefined;
  } catch {
    return undefined;
  }
}
