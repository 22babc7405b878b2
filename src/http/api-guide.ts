import { SIGN_CURL, SIGN_JAVA, SIGN_NODE, SIGN_PYTHON, VERIFY_NODE, VERIFY_PYTHON } from "./signing-examples";

const code = (lang: string, text: string) => `\`\`\`${lang}\n${text.trimEnd()}\n\`\`\``;
/** A language's example folded under its name, so the guide stays short until a reader opens the one they need. */
const folded = (label: string, lang: string, text: string) =>
  `<details><summary>${label}</summary>\n\n${code(lang, text)}\n\n</details>`;

/**
 * The API document's description: what a developer needs before the first call — who calls what, how to
 * authenticate and sign, what errors look like, how status callbacks behave, how numbers are masked. /docs shows
 * it above the operations; it is part of /openapi.json, so every client generator carries it too.
 */
export const API_GUIDE = `Telecom-fraud early warnings (receive, push, verify, feed back) and courier anti-fraud reminders.

Operations are grouped by who calls them: **Feeds** (upstream anti-fraud platforms), **Partners** (logistics
partners, with their API key), **Officers** (officers and supervisors of a station) and **Admins**. Every call
shown here can be tried against this server: press *Authorize*, give a token or an API key, then *Try it out*.

## Authentication

- **Feeds** sign every request with their source's secret (\`X-Signature\`, below).
- **Partners** send \`Authorization: Bearer pk_…\`. A key made as **test** (\`pk_test_…\`, \`POST /v1/partners/{id}/keys\`
  with \`{"mode":"test"}\`) gets the same validation, decisions and read-backs as a live key, but sends nothing to
  any channel (each reminder is marked \`test\` and reported \`submitted\`, then \`delivered\`), and counts toward no
  cap, quota or report of live traffic. A test key reads back only test traffic, a live key only live traffic.
- **Officers** log in (\`POST /v1/auth/login\`) for a bearer token. The console's cookie only reads.

## Signing: \`X-Signature\`

\`X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">\`, with the secret, over the exact bytes
sent. \`t\` must be within 300 s of our clock. Several \`v1=\` values may be given (old and new secret during a
rotation). Callbacks we POST to you — feedback to feeds, message status to partners — are signed the same way
with your callback's secret, and carry \`X-Event-Id\` for de-duplication.

${folded("Sign and send a warning: curl", "sh", SIGN_CURL)}

${folded("Sign and send a warning: Node", "js", SIGN_NODE)}

${folded("Sign and send a warning: Python", "python", SIGN_PYTHON)}

${folded("Sign and send a warning: Java", "java", SIGN_JAVA)}

${folded("Verify a callback: Node", "js", VERIFY_NODE)}

${folded("Verify a callback: Python", "python", VERIFY_PYTHON)}

## Errors: \`application/problem+json\`

Every error is an RFC 9457 problem (schema \`Problem\`): \`type\`, \`title\` and \`code\` (the same code), \`status\`,
\`detail\`, \`requestId\` (quote it to us), and for \`VALIDATION_FAILED\` an \`errors\` list naming each field at fault
(\`events.0.recipientPhone\`). A refused request changed nothing. Every operation below shows its errors' examples.

## Message status for partners

Every status change of your reminders — \`scheduled\`, \`deferred\` (reason \`quiet_hours\`), \`attached\`,
\`suppressed\` (with its reason), \`submitted\`, \`delivered\`, \`failed\`, \`expired\` — is an event with an \`id\` and a
\`cursor\`. Set a callback (\`PUT /v1/partners/{partnerId}/message-callback\`) and we POST \`{ partnerId, events }\`,
up to 100 events a request, in order (a reminder's changes never overtake each other), signed as above. Answer
2xx. Timeouts, 408, 429 and 5xx are retried with backoff (Retry-After honoured) for 24 h; then, or at once on any
other status, the callback is **dead**: events wait, in order, until you re-drive it
(\`POST …/message-callback/redrive\`). Or pull: \`GET /v1/partners/{partnerId}/message-events?after=<cursor>\`.

## Phone numbers

One rule per audience: officers, supervisors and admins see \`138****8000\` (four digits hidden); partners see
every number as parcel output prints it, six digits hidden (\`138******00\`, GB/T 41833-2022), in every answer.
A full number only through an officer's audited reveal.

## Reports

Every report's range defaults to the last 7 days (Asia/Shanghai, today included); \`Accept: text/csv\` answers
CSV in UTF-8 with a byte-order mark, which Excel on Chinese Windows opens as it should.
`;
