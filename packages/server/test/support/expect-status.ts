import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";

/** Asserts that a call fails with exactly this gRPC code and message. */
export async function expectStatus(call: Promise<unknown>, code: Code, message: string): Promise<void> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
  expect(error, "the call should have failed").toBeDefined();
  expect({ code: Code[error?.code ?? Code.Unknown], message: error?.rawMessage }).toEqual({
    code: Code[code],
    message,
  });
}
