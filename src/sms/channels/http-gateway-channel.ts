import { maskPhone } from "../../privacy/phone";
import { signPayload } from "../../signature";
import { type SmsChannel, SmsSendError, type SmsSendRequest, type SmsSendResult } from "./channel";
import type { SmsApi } from "./http-gateway-api";
import { type HttpAnswer, httpRequest } from "./http-request";

export interface HttpChannelOptions {
  /** Opens sealed secrets (`tokenEnc`, ...) stored in partners.smsApi. */
  decrypt?: (sealed: string) => string;
  now?: () => Date;
}

/**
 * An SMS gateway reached over HTTP, described entirely by configuration (http-gateway-api.ts): a partner's
 * own API (partners.smsApi) or a domestic provider used as the police channel (SMS_CHANNEL=http). Adding a
 * gateway with a different request shape is a new configuration; only a different protocol needs a class.
 *
 * How an SMS is never sent twice by accident: our message id goes out as the provider's client reference.
 * An answer we cannot trust (a timeout after the request was sent, a gateway timeout, a 2xx we cannot read)
 * is reported as an unknown outcome, never as a plain transient failure. The engine
 * (src/sms/dispatch/failure-policy.ts) then either sends again — only if this API de-duplicates by client
 * reference — or asks `lookup` first, or, with neither, does not send again and waits for a receipt naming
 * our id.
 */
export class HttpSmsChannel implements SmsChannel {
  readonly dedupesByMessageId: boolean;
  readonly lookup?: (messageId: string) => Promise<SmsSendResult | null>;
  private readonly now: () => Date;

  constructor(
    readonly name: string,
    private readonly api: SmsApi,
    private readonly options: HttpChannelOptions = {},
  ) {
    this.dedupesByMessageId = api.dedupesByClientReference && Boolean(api.fields.clientReference);
    this.now = options.now ?? (() => new Date());
    if (api.lookup) this.lookup = (messageId) => this.lookupMessage(messageId);
  }

  async send(request: SmsSendRequest): Promise<SmsSendResult> {
    const { api } = this;
    const fields: Record<string, string | number | boolean> = {
      ...api.extra,
      [api.fields.to]: formatPhone(request.to, api.phoneFormat),
      [api.fields.text]: request.body,
    };
    if (api.fields.clientReference) fields[api.fields.clientReference] = request.messageId;
    const body =
      api.format === "json"
        ? JSON.stringify(fields)
        : new URLSearchParams(
            Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])),
          ).toString();
    const headers: Record<string, string> = {
      "content-type": api.format === "json" ? "application/json" : "application/x-www-form-urlencoded",
      accept: "application/json",
      ...this.authHeaders(body),
    };

    let response: HttpAnswer;
    try {
      response = await httpRequest(api.url, { method: api.method, headers, body, timeoutMs: api.timeoutMs });
    } catch (error) {
      throw this.networkError(error, request.to);
    }
    return this.interpret(response, request.to);
  }

  private interpret(response: HttpAnswer, to: string): SmsSendResult {
    const { api } = this;
    const { text } = response;
    const what = `${this.name} answered ${response.status}`;
    const excerpt = scrub(text.slice(0, 200), to);
    if (api.unknownStatuses.includes(response.status)) {
      throw new SmsSendError(`${what}: ${excerpt}`, true, { unknownOutcome: true });
    }
    if (response.status === 429 || api.transientStatuses.includes(response.status)) {
      throw new SmsSendError(`${what}: ${excerpt}`, true, {
        retryAfterMs: retryAfterMs(response.header("retry-after"), this.now()),
      });
    }
    if (response.status >= 500) throw new SmsSendError(`${what}: ${excerpt}`, true);
    if (response.status < 200 || response.status >= 300) {
      throw new SmsSendError(`${what}: ${excerpt}`, false);
    }
    // A 2xx: the provider took the request. If we cannot read what it says, it may well have sent the SMS.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SmsSendError(`${what} with a body that is not JSON: ${excerpt}`, true, {
        unknownOutcome: true,
      });
    }
    if (api.response.codePath) {
      const code = valueAt(json, api.response.codePath);
      const known = (list: (string | number)[]) => list.some((c) => String(c) === String(code));
      if (!known(api.response.successCodes)) {
        if (code === undefined) {
          throw new SmsSendError(`${what} without a result code: ${excerpt}`, true, { unknownOutcome: true });
        }
        const transient = known(api.response.transientCodes);
        throw new SmsSendError(`${this.name} refused with code ${String(code)}: ${excerpt}`, transient);
      }
    }
    const id = valueAt(json, api.response.messageIdPath);
    if (typeof id !== "string" && typeof id !== "number") {
      throw new SmsSendError(
        `${what} without a message id at ${api.response.messageIdPath}: ${excerpt}`,
        true,
        {
          unknownOutcome: true,
        },
      );
    }
    return { providerMessageId: String(id) };
  }

  /**
   * Before the response: the request may have been sent (a timeout, a connection reset mid-way) or
   * certainly not (the connection was refused, the name did not resolve).
   */
  private networkError(error: unknown, to: string): SmsSendError {
    const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
    const code = e.code ?? e.cause?.code;
    const notSent = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"];
    const message = scrub(`${this.name}: ${e.name ?? "Error"} ${e.message ?? String(error)}`, to);
    if (code && notSent.includes(code)) return new SmsSendError(message, true);
    return new SmsSendError(message, true, { unknownOutcome: true });
  }

  private async lookupMessage(messageId: string): Promise<SmsSendResult | null> {
    const lookup = this.api.lookup;
    if (!lookup) return null;
    const url = lookup.url.replaceAll("{clientReference}", encodeURIComponent(messageId));
    let response: HttpAnswer;
    try {
      response = await httpRequest(url, {
        method: "GET",
        headers: { accept: "application/json", ...this.authHeaders("") },
        timeoutMs: this.api.timeoutMs,
      });
    } catch (error) {
      throw new SmsSendError(`${this.name} lookup failed: ${(error as Error).message}`, true);
    }
    if (lookup.notFoundStatuses.includes(response.status)) return null;
    if (response.status < 200 || response.status >= 300) {
      throw new SmsSendError(`${this.name} lookup answered ${response.status}`, true);
    }
    let id: unknown;
    try {
      id = valueAt(JSON.parse(response.text), lookup.messageIdPath);
    } catch {
      id = undefined;
    }
    if (typeof id !== "string" && typeof id !== "number") {
      throw new SmsSendError(`${this.name} lookup answer has no message id`, true);
    }
    return { providerMessageId: String(id) };
  }

  private authHeaders(body: string): Record<string, string> {
    const auth = this.api.auth as { type: string; [k: string]: unknown };
    const reveal = (name: string) => {
      const plain = auth[name];
      if (typeof plain === "string") return plain;
      const sealed = auth[`${name}Enc`];
      if (typeof sealed === "string" && this.options.decrypt) return this.options.decrypt(sealed);
      throw new SmsSendError(`${this.name}: ${name}Enc given but no key to open it`, true);
    };
    switch (auth.type) {
      case "bearer":
        return { authorization: `Bearer ${reveal("token")}` };
      case "header":
        return { [String(auth.name)]: reveal("value") };
      case "hmac":
        return {
          [String(auth.header)]: signPayload(reveal("secret"), body, Math.floor(this.now().getTime() / 1000)),
        };
      default:
        return {};
    }
  }
}

function formatPhone(e164: string, format: SmsApi["phoneFormat"]): string {
  if (format === "e164") return e164;
  if (format === "digits") return e164.replace(/^\+/, "");
  return e164.startsWith("+86") ? e164.slice(3) : e164.replace(/^\+/, "");
}

/** `data.msgId`, `result.0.id`: a dot path into parsed JSON. */
export function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Providers echo the number they refused; error texts are stored and logged, the number must not be. */
function scrub(text: string, to: string): string {
  const national = to.startsWith("+86") ? to.slice(3) : to.replace(/^\+/, "");
  return text.replaceAll(to, maskPhone(to)).replaceAll(national, maskPhone(to));
}
