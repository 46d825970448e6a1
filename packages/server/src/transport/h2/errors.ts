/** A connection-level protocol violation: the connection ends with GOAWAY and `code` (RFC 9113 §5.4.1). */
export class H2ConnectionError extends Error {
  override readonly name = "H2ConnectionError";

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
