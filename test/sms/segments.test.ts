import { SegmentedMessage } from "sms-segments-calculator";
import { describe, expect, it } from "vitest";
import { WARNING_TYPES } from "../../schema";
import { officerNotificationText, victimWarningText } from "../../src/alerts/sms-texts";
import { countSegments, simpleUcs2Segments } from "../../src/sms/dispatch/segments";

const library = (body: string) => new SegmentedMessage(body).segmentsCount;
const SIGNATURE = "【昌吉公安】";

describe("SMS parts", () => {
  it("counts warnings and officer notices as the provider bills them", () => {
    const bodies = [
      ...WARNING_TYPES.map((type) => victimWarningText(SIGNATURE, type)),
      ...WARNING_TYPES.map((type) =>
        officerNotificationText(
          SIGNATURE,
          {
            id: "alr_01jd8k2m3n4p5q6r7s8t9v0w1x",
            type,
            riskLevel: "critical",
            areaAddress: "昌吉市宁边路（东段）88号",
          },
          "https://fz.example.cn",
        ),
      ),
    ];
    for (const body of bodies) {
      expect(simpleUcs2Segments(body), body).toBe(library(body));
      expect(countSegments(body), body).toBe(library(body));
    }
  });

  it("agrees with the library at every length across the part boundaries", () => {
    for (let n = 1; n <= 210; n++) {
      const body = Array.from({ length: n }, (_, i) => (i % 5 === 4 ? "7" : "诈")).join("");
      expect(simpleUcs2Segments(body), `${n} characters`).toBe(library(body));
    }
  });

  it("leaves to the library what is not plain Chinese text", () => {
    for (const body of [
      "Your parcel is at the pickup point {1234}",
      "注意防范诈骗😀",
      "第一行\r\n第二行",
      "é",
    ]) {
      expect(simpleUcs2Segments(body), body).toBeUndefined();
      expect(countSegments(body), body).toBe(library(body));
    }
  });
});
