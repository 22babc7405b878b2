import { describe, expect, it } from "vitest";
import { createLog } from "../../src/log";
import { maskName, maskPhone } from "../../src/privacy/phone";

const PHONE = "+8613800138000";
/** Any spelling of the full number: E.164, national, or with separators. */
const FULL_NUMBER = /(?:\+?86[- ]?)?138[- ]?0013[- ]?8000/;

/** A logger writing into an array, one parsed JSON object per line. */
function capturedLog(level = "debug") {
  const lines: string[] = [];
  const log = createLog(level, { write: (line: string) => void lines.push(line) });
  return {
    log,
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("createLog", () => {
  it.each([
    ["a phone field", { phone: PHONE }],
    ["a nested to field", { sms: { to: PHONE } }],
    ["a deeply nested to field", { job: { sms: { to: PHONE } } }],
    ["a differently named field", { subjectNumber: PHONE }],
    ["a field with a national number", { note: "subject 13800138000 reached" }],
    ["a field with separators", { note: "+86 138-0013-8000" }],
    ["an array element", { recipients: [PHONE, "138 0013 8000"] }],
    ["an international-prefix spelling", { note: "008613800138000" }],
  ])("never writes the full number passed as %s", (_name, fields) => {
    const { log, lines } = capturedLog();

    log.info(fields, "sms queued");

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(FULL_NUMBER);
  });

  it("masks a number inside the message string, keeping the rest of the message", () => {
    const { log, lines, records } = capturedLog();

    log.info({ alertId: "alr_1" }, `victim warning to ${PHONE} submitted`);

    expect(lines[0]).not.toMatch(FULL_NUMBER);
    expect(records()[0]).toMatchObject({ alertId: "alr_1", msg: "victim warning to 138****8000 submitted" });
  });

  it("masks a number given as a format argument", () => {
    const { log, lines } = capturedLog();

    log.info("sending to %s", "13800138000");

    expect(lines[0]).not.toMatch(FULL_NUMBER);
    expect(lines[0]).toContain("138****8000");
  });

  it("masks a number in a child's and a grandchild's bindings", () => {
    const { log, lines } = capturedLog();
    const bindings = { to: PHONE, traceNote: "caller 13800138000", callerId: 13800138000 };

    log.child(bindings).info("child");
    log.child({ requestId: "req_1" }).child(bindings).info("grandchild");

    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toMatch(FULL_NUMBER);
      expect(line).toContain("caller 138****8000");
    }
  });

  it("masks a number given as a JSON number instead of throwing", () => {
    const { log, lines } = capturedLog();

    expect(() => log.info({ callerId: 13800138000 }, "number as a number")).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(FULL_NUMBER);
  });

  it("keeps an error's type, message and stack, with numbers in the message masked", () => {
    const { log, lines, records } = capturedLog();

    log.error({ err: new TypeError(`provider refused ${PHONE}`) }, "sms failed");

    expect(lines[0]).not.toMatch(FULL_NUMBER);
    const err = records()[0]?.err as { type: string; message: string; stack: string };
    expect(err.type).toBe("TypeError");
    expect(err.message).toBe("provider refused 138****8000");
    expect(err.stack).toContain("log.test.ts");
  });

  it.each([
    ["an error", (log: ReturnType<typeof createLog>, e: Error) => log.error(e)],
    ["an err field", (log: ReturnType<typeof createLog>, e: Error) => log.error({ err: e })],
  ])("masks the message taken from %s logged without a message", (_name, write) => {
    const { log, lines, records } = capturedLog();

    write(log, new Error(`provider refused ${PHONE}`));

    expect(lines[0]).not.toMatch(FULL_NUMBER);
    expect(records()[0]?.msg).toBe("provider refused 138****8000");
  });

  it("drops the query parameters a database error carries", () => {
    const { log, lines, records } = capturedLog();
    const dbError = new Error(`Failed query: insert into x values ($1)\nparams: sealed-ciphertext,${PHONE}`);

    log.error({ err: dbError }, "insert failed");

    expect(lines[0]).not.toContain("sealed-ciphertext");
    const [record] = records();
    expect(record?.err).toMatchObject({ message: "Failed query: insert into x values ($1)" });
    expect(record?.msg).toBe("insert failed");
  });

  it("redacts passwords, secrets and tokens by name", () => {
    const { log, lines } = capturedLog();

    log.info(
      { password: "hunter2-pw", secret: "feed-secret-x", token: "tok-abc", body: { password: "p2-nested" } },
      "login",
    );

    for (const value of ["hunter2-pw", "feed-secret-x", "tok-abc", "p2-nested"]) {
      expect(lines[0]).not.toContain(value);
    }
  });

  it("writes nothing below its level", () => {
    const { log, lines } = capturedLog("warn");

    log.info({ phone: PHONE }, "quiet");

    expect(lines).toEqual([]);
  });
});

describe("maskPhone", () => {
  it.each([
    ["+8613800138000", "138****8000"],
    ["+8613912345678", "139****5678"],
    ["+8675512345678", "755****5678"],
    ["+14155550123", "141****0123"],
    ["+85261234567", "852****4567"],
    ["+861234567", "12****"],
  ])("masks %s as %s", (e164, masked) => {
    expect(maskPhone(e164)).toBe(masked);
  });

  it("hides the middle four digits of every mainland mobile number", () => {
    for (const e164 of ["+8613800138000", "+8619900001111", "+8617012345678"]) {
      const national = e164.slice(3);
      const masked = maskPhone(e164);
      expect(masked).toHaveLength(11);
      expect(masked).not.toContain(national.slice(3, 7));
      expect(masked.slice(0, 3) + masked.slice(-4)).toBe(national.slice(0, 3) + national.slice(-4));
    }
  });
});

describe("maskName", () => {
  it.each([
    ["王某", "王*"],
    ["王小明", "王**"],
    ["欧阳娜娜", "欧***"],
    ["阿卜杜热西提·买买提", "阿***"],
    ["  李四  ", "李*"],
    ["王", "*"],
    ["", "*"],
  ])("masks %j as %j", (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});
