/**
 * The signing scheme's examples, as the API reference (/docs) shows them. Each is a whole program: the Node and
 * Python ones are run against a running server by test/http/signing-examples.test.ts (Java too where a JDK is
 * installed), so what a reader copies is what was seen to work. Inputs come from the environment: BASE_URL,
 * SOURCE_ID and SECRET (the feed source's); for the verifiers SECRET, SIGNATURE and BODY.
 */

export const SIGN_CURL = `SRC=src_…; SECRET=…      # the feed source's id and secret
BODY='{"warnings":[{"externalId":"YJ-2026-000123","type":"call","fraudType":"fake_customer_service","riskLevel":"high","subject":{"phone":"+86 138 0013 8000"},"area":{"code":"652301"},"detectedAt":"2026-11-28T10:00:00+08:00"}]}'
T=$(date +%s)
SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* //')
curl -s -X POST "http://localhost:3000/v1/feeds/$SRC/warnings" \\
  -H 'content-type: application/json' -H "x-signature: t=$T,v1=$SIG" --data "$BODY"`;

export const SIGN_NODE = `// node sign-warning.mjs  (Node 20+, no packages)
import { createHmac } from "node:crypto";

const { BASE_URL = "http://localhost:3000", SOURCE_ID, SECRET } = process.env;
const body = JSON.stringify({
  warnings: [{
    externalId: \`YJ-\${Date.now()}\`, type: "call", fraudType: "fake_customer_service", riskLevel: "high",
    subject: { phone: "+86 138 0013 8000" }, area: { code: "652301" }, detectedAt: new Date().toISOString(),
  }],
});
const t = Math.floor(Date.now() / 1000);
const v1 = createHmac("sha256", SECRET).update(\`\${t}.\${body}\`).digest("hex");
const res = await fetch(\`\${BASE_URL}/v1/feeds/\${SOURCE_ID}/warnings\`, {
  method: "POST",
  headers: { "content-type": "application/json", "x-signature": \`t=\${t},v1=\${v1}\` },
  body, // exactly the bytes that were signed
});
console.log(res.status, await res.text());
`;

export const SIGN_PYTHON = `# python3 sign_warning.py  (standard library only)
import hashlib, hmac, json, os, time, urllib.request

base = os.environ.get("BASE_URL", "http://localhost:3000")
body = json.dumps({"warnings": [{
    "externalId": f"YJ-{time.time_ns()}", "type": "call", "fraudType": "fake_customer_service",
    "riskLevel": "high", "subject": {"phone": "+86 138 0013 8000"}, "area": {"code": "652301"},
    "detectedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}]}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
t = str(int(time.time()))
v1 = hmac.new(os.environ["SECRET"].encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
request = urllib.request.Request(
    f"{base}/v1/feeds/{os.environ['SOURCE_ID']}/warnings", data=body, method="POST",
    headers={"content-type": "application/json", "x-signature": f"t={t},v1={v1}"})
with urllib.request.urlopen(request) as response:  # the bytes sent are the bytes signed
    print(response.status, response.read().decode("utf-8"))
`;

export const SIGN_JAVA = `// java SignWarning.java  (Java 17+, no libraries)
import java.net.URI;
import java.net.http.*;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class SignWarning {
  public static void main(String[] args) throws Exception {
    String base = System.getenv().getOrDefault("BASE_URL", "http://localhost:3000");
    String secret = System.getenv("SECRET"), source = System.getenv("SOURCE_ID");
    String body = "{\\"warnings\\":[{\\"externalId\\":\\"YJ-" + System.nanoTime() + "\\",\\"type\\":\\"call\\","
        + "\\"fraudType\\":\\"fake_customer_service\\",\\"riskLevel\\":\\"high\\","
        + "\\"subject\\":{\\"phone\\":\\"+86 138 0013 8000\\"},\\"area\\":{\\"code\\":\\"652301\\"},"
        + "\\"detectedAt\\":\\"" + java.time.Instant.now() + "\\"}]}";
    long t = System.currentTimeMillis() / 1000;
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String v1 = HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/feeds/" + source + "/warnings"))
        .header("content-type", "application/json").header("x-signature", "t=" + t + ",v1=" + v1)
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    System.out.println(response.statusCode() + " " + response.body());
  }
}
`;

export const VERIFY_NODE = `// Verify a callback we POSTed to you (feedback or message status): node verify.mjs
import { createHmac, timingSafeEqual } from "node:crypto";

export function verify(header, rawBody, secret, toleranceSeconds = 300) {
  const parts = Object.fromEntries(header.split(",").map((p) => p.trim().split("=", 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(\`\${t}.\${rawBody}\`).digest("hex"));
  const given = Buffer.from(parts.v1 ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const { SECRET, SIGNATURE, BODY } = process.env;
console.log(verify(SIGNATURE, BODY, SECRET) ? "valid" : "invalid");
`;

export const VERIFY_PYTHON = `# Verify a callback we POSTed to you: python3 verify.py
import hashlib, hmac, os, time

def verify(header: str, raw_body: bytes, secret: str, tolerance_seconds: int = 300) -> bool:
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance_seconds:
        return False
    expected = hmac.new(secret.encode(), str(t).encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))

print("valid" if verify(os.environ["SIGNATURE"], os.environ["BODY"].encode("utf-8"), os.environ["SECRET"]) else "invalid")
`;
