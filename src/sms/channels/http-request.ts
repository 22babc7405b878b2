import http from "node:http";
import https from "node:https";

export interface HttpAnswer {
  status: number;
  header(name: string): string | null;
  text: string;
}

export interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** The deadline of a request passed; it may have reached the gateway. */
export class HttpTimeoutError extends Error {
  override name = "TimeoutError";
}

/** Connections to a gateway are kept open between sends: hundreds a second would otherwise each connect. */
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/**
 * One request to an SMS gateway, answered with its whole body, over node:http and keep-alive agents. The
 * engine calls gateways hundreds of times a second; fetch (undici, WHATWG streams and an AbortSignal per
 * call) was about a third of a sending process's CPU in bench:sms. Errors are node's own: a connection
 * refused carries its `code`; the deadline is an HttpTimeoutError.
 */
export function httpRequest(url: string, init: HttpRequestInit): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      reject(new Error(`unsupported protocol ${target.protocol}`));
      return;
    }
    const client = target.protocol === "https:" ? https : http;
    const headers = { ...init.headers };
    if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
    const request = client.request(
      target,
      { method: init.method, headers, agent: agents[target.protocol] },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", fail);
        response.on("end", () => {
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            header(name) {
              const value = response.headers[name.toLowerCase()];
              if (value === undefined) return null;
              return Array.isArray(value) ? value.join(", ") : value;
            },
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    const timer = setTimeout(
      () => request.destroy(new HttpTimeoutError(`no answer within ${init.timeoutMs} ms`)),
      init.timeoutMs,
    );
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    request.on("error", fail);
    request.end(init.body);
  });
}
