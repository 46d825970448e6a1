import type { IncomingHttpHeaders } from "node:http";
import type { CallIo, RequestSource } from "../rpc/call-io.js";
import type { H2Stream } from "./h2/stream.js";

/** A call carried by berthd's own HTTP/2 transport. */
export class H2CallIo implements CallIo {
  constructor(
    private readonly stream: H2Stream,
    readonly source: RequestSource,
  ) {}

  get headers(): IncomingHttpHeaders {
    return this.stream.headers;
  }

  get authority(): string {
    return this.stream.headers[":authority"] ?? this.stream.headers.host ?? "";
  }

  get path(): string {
    return this.stream.headers[":path"] ?? "";
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.stream.onData = listener;
  }

  onEnd(listener: () => void): void {
    this.stream.onEnd = listener;
  }

  onClose(listener: () => void): void {
    this.stream.onClose = listener;
  }

  onLimit(listener: (reason: string) => void): void {
    this.stream.onLimit = listener;
  }

  abortWith(headers: Readonly<Record<string, string>>, trailers: Readonly<Record<string, string>>): void {
    this.stream.abortWith(200, flat(headers), flat(trailers));
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  get writableNeedDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  drained(): Promise<void> {
    return this.stream.drained();
  }

  respond(headers: Readonly<Record<string, string>>): void {
    this.stream.respond(200, flat(headers));
  }

  respondOnly(fields: readonly string[]): void {
    this.stream.respond(200, fields, true);
  }

  respondFields(fields: readonly string[]): void {
    this.stream.respond(200, fields);
  }

  endFields(trailers: readonly string[]): void {
    this.stream.end(trailers);
  }

  relayRequest(): void {
    this.stream.consumeByReading();
    this.stream.keepRequestOpen();
  }

  consumed(bytes: number): void {
    this.stream.consumed(bytes);
  }

  write(data: Buffer): void {
    this.stream.write(data);
  }

  end(trailers: Readonly<Record<string, string>>, data: readonly Buffer[] = []): void {
    for (const part of data) this.stream.write(part);
    this.stream.end(flat(trailers));
  }
}

function flat(record: Readonly<Record<string, string>>): string[] {
  const fields: string[] = [];
  for (const name in record) fields.push(name, record[name] as string);
  return fields;
}
