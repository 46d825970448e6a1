import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { HttpAnswer, HttpExchange } from "../rpc/exchange.js";

/** A request on Node's HTTP/1.1 server (TCP: gRPC-Web, Connect, the web app, /metrics). */
export class Http1Exchange implements HttpExchange {
  readonly viaUnixSocket = false;
  readonly responseHeaders: Headers = new Headers();

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
  ) {}

  callIo(): undefined {
    return undefined;
  }

  get method(): string {
    return this.request.method ?? "";
  }

  get url(): string {
    return this.request.url ?? "/";
  }

  get headers(): IncomingHttpHeaders {
    return this.request.headers;
  }

  get rawHeaders(): readonly string[] {
    return this.request.rawHeaders;
  }

  get localPort(): number | undefined {
    return this.request.socket.localPort;
  }

  universalRequest(contextValues: ContextValues): UniversalServerRequest {
    return universalRequestFromNodeRequest(this.request, this.response, undefined, contextValues);
  }

  async answer(answer: HttpAnswer): Promise<void> {
    this.responseHeaders.forEach((value, name) => {
      if (!answer.header?.has(name)) this.response.setHeader(name, value);
    });
    const { status, header, body, trailer } = answer;
    await universalResponseToNodeResponse(
      { status, ...(header && { header }), ...(body && { body }), ...(trailer && { trailer }) },
      this.response,
    );
  }

  fail(): void {
    if (!this.response.headersSent) {
      this.response.writeHead(500);
      this.response.end();
    } else this.response.destroy();
  }
}
