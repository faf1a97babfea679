import { describe, expect, it } from "vitest";
import { ExpressionError, instantOf, isTimeZone, nextRunTime, parseExpression } from "../../src/controllers/ecsschedule/next-run.js";

const at = (iso: string): Date => new Date(iso);
const next = (expression: string, now: string, extra: { timezone?: string; startDate?: string; endDate?: string; createdAt?: string } = {}): string | undefined =>
  nextRunTime(
    {
      expression,
      ...(extra.timezone ? { timezone: extra.timezone } : {}),
      ...(extra.startDate ? { startDate: at(extra.startDate) } : {}),
      ...(extra.endDate ? { endDate: at(extra.endDate) } : {}),
      ...(extra.createdAt ? { createdAt: at(extra.createdAt) } : {}),
    },
    at(now),
  )?.toISOString();

describe("the next run of an EventBridge Scheduler expression", () => {
  it("cron in UTC: the next matching minute strictly after now", () => {
    expect(next("cron(0 2 * * ? *)", "2026-03-10T01:59:30Z")).toBe("2026-03-10T02:00:00.000Z");
    expect(next("cron(0 2 * * ? *)", "2026-03-10T02:00:00Z")).toBe("2026-03-11T02:00:00.000Z");
    expect(next("cron(0/15 * * * ? *)", "2026-03-10T10:07:00Z")).toBe("2026-03-10T10:15:00.000Z");
    expect(next("cron(30 23 31 DEC ? *)", "2026-01-01T00:00:00Z")).toBe("2026-12-31T23:30:00.000Z");
  });

  it("cron day-of-week, ranges and names, L, W and #", () => {
    // 2026-03-10 is a Tuesday.
    expect(next("cron(0 9 ? * MON-FRI *)", "2026-03-13T10:00:00Z")).toBe("2026-03-16T09:00:00.000Z");
    expect(next("cron(0 9 ? * 1 *)", "2026-03-10T00:00:00Z")).toBe("2026-03-15T09:00:00.000Z"); // 1 = Sunday
    expect(next("cron(0 0 L * ? *)", "2026-02-10T00:00:00Z")).toBe("2026-02-28T00:00:00.000Z");
    expect(next("cron(0 0 ? * 6L *)", "2026-03-01T00:00:00Z")).toBe("2026-03-27T00:00:00.000Z"); // last Friday
    expect(next("cron(0 0 ? * 3#2 *)", "2026-03-01T00:00:00Z")).toBe("2026-03-10T00:00:00.000Z"); // second Tuesday
    expect(next("cron(0 0 1W * ? *)", "2026-02-15T00:00:00Z")).toBe("2026-03-02T00:00:00.000Z"); // 1 March 2026 is a Sunday
    expect(next("cron(0 0 LW * ? *)", "2026-05-01T00:00:00Z")).toBe("2026-05-29T00:00:00.000Z"); // 31 May 2026 is a Sunday
  });

  it("cron with years: none left means no next run", () => {
    expect(next("cron(0 0 1 1 ? 2027-2028)", "2026-06-01T00:00:00Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(next("cron(0 0 1 1 ? 2025)", "2026-06-01T00:00:00Z")).toBeUndefined();
  });

  it("cron in a time zone, across daylight-saving changes as Scheduler documents them", () => {
    // 08:00 in Paris is 07:00 UTC in winter, 06:00 UTC in summer (from 29 March 2026).
    expect(next("cron(0 8 * * ? *)", "2026-03-27T12:00:00Z", { timezone: "Europe/Paris" })).toBe("2026-03-28T07:00:00.000Z");
    expect(next("cron(0 8 * * ? *)", "2026-03-28T12:00:00Z", { timezone: "Europe/Paris" })).toBe("2026-03-29T06:00:00.000Z");
    // 02:30 does not exist in New York on 8 March 2026: that run is skipped.
    expect(next("cron(30 2 * * ? *)", "2026-03-07T12:00:00Z", { timezone: "America/New_York" })).toBe("2026-03-09T06:30:00.000Z");
    // 01:30 happens twice on 1 November 2026: it runs once, at the first.
    expect(next("cron(30 1 * * ? *)", "2026-10-31T12:00:00Z", { timezone: "America/New_York" })).toBe("2026-11-01T05:30:00.000Z");
    expect(next("cron(30 1 * * ? *)", "2026-11-01T05:30:00Z", { timezone: "America/New_York" })).toBe("2026-11-02T06:30:00.000Z");
  });

  it("rate: fixed intervals from the start date, or from the schedule's creation", () => {
    expect(next("rate(5 minutes)", "2026-03-10T10:07:00Z", { createdAt: "2026-03-10T10:00:30Z" })).toBe("2026-03-10T10:10:30.000Z");
    expect(next("rate(1 day)", "2026-03-10T10:07:00Z", { startDate: "2026-04-01T00:00:00Z" })).toBe("2026-04-01T00:00:00.000Z");
    expect(next("rate(2 hours)", "2026-03-10T10:07:00Z", { startDate: "2026-03-10T09:00:00Z", endDate: "2026-03-10T10:30:00Z" })).toBeUndefined();
  });

  it("start and end dates bound cron schedules", () => {
    expect(next("cron(0 2 * * ? *)", "2026-03-10T00:00:00Z", { startDate: "2026-03-20T00:00:00Z" })).toBe("2026-03-20T02:00:00.000Z");
    expect(next("cron(0 2 * * ? *)", "2026-03-10T03:00:00Z", { endDate: "2026-03-11T01:00:00Z" })).toBeUndefined();
  });

  it("at: once, in its time zone, and never again once past", () => {
    expect(next("at(2026-07-01T09:00:00)", "2026-03-10T00:00:00Z", { timezone: "Asia/Tokyo" })).toBe("2026-07-01T00:00:00.000Z");
    expect(next("at(2026-03-01T09:00:00)", "2026-03-10T00:00:00Z")).toBeUndefined();
  });

  it("refuses what EventBridge refuses, saying what is wrong", () => {
    const bad: [string, RegExp][] = [
      ["cron(0 2 * * * *)", /one of day-of-month and day-of-week/],
      ["cron(0 2 ? * ? *)", /one of day-of-month and day-of-week/],
      ["cron(61 2 * * ? *)", /minutes: 61 is not in 0-59/],
      ["cron(0 24 * * ? *)", /hours: 24/],
      ["cron(0 2 * 13 ? *)", /month: 13/],
      ["cron(0 2 ? * 3#1,6#3 *)", /# takes one/],
      ["cron(0 2 * * ?)", /six fields/],
      ["cron(0 2 5-1 * ? *)", /runs backwards/],
      ["rate(0 minutes)", /positive number/],
      ["rate(5 weeks)", /minute\(s\), hour\(s\) or day\(s\)/],
      ["at(2026-02-30T10:00:00)", /not a date and time/],
      ["every day", /expected at/],
    ];
    for (const [expression, why] of bad) {
      expect(() => parseExpression(expression), expression).toThrow(ExpressionError);
      expect(() => parseExpression(expression), expression).toThrow(why);
    }
  });

  it("knows IANA time zones, and a local time a change skips has no instant", () => {
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(instantOf(Date.UTC(2026, 2, 8, 2, 30), "America/New_York")).toBeUndefined();
  });
});
