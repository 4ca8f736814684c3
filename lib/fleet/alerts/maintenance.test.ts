import { describe, expect, it } from "vitest";
import { isTimeZone, windowActive, windowInputSchema } from "./maintenance";

const weekly = (days: number[], start: string, end: string, timeZone = "UTC") => ({
  kind: "weekly" as const,
  startsAt: 0,
  endsAt: 0,
  days: new Set(days),
  start: Number(start.slice(0, 2)) * 60 + Number(start.slice(3)),
  end: Number(end.slice(0, 2)) * 60 + Number(end.slice(3)),
  timeZone,
});
const at = (iso: string) => Date.parse(iso);

describe("maintenance windows", () => {
  it("one-off: from its start (included) to its end (excluded)", () => {
    const w = { ...weekly([], "00:00", "00:00"), kind: "once" as const, startsAt: at("2030-01-01T10:00:00Z"), endsAt: at("2030-01-01T12:00:00Z") };
    expect(windowActive(w, at("2030-01-01T09:59:59Z"))).toBe(false);
    expect(windowActive(w, at("2030-01-01T10:00:00Z"))).toBe(true);
    expect(windowActive(w, at("2030-01-01T11:59:59Z"))).toBe(true);
    expect(windowActive(w, at("2030-01-01T12:00:00Z"))).toBe(false);
  });

  it("weekly: on its days, in its time range, on its time zone's wall clock", () => {
    // 2030-01-05 is a Saturday (6).
    const sat = weekly([6], "10:00", "12:00");
    expect(windowActive(sat, at("2030-01-05T10:30:00Z"))).toBe(true);
    expect(windowActive(sat, at("2030-01-05T12:00:00Z"))).toBe(false);
    expect(windowActive(sat, at("2030-01-06T10:30:00Z"))).toBe(false); // Sunday
    // 10:30 in Tokyo (UTC+9) is 01:30 UTC, the same Saturday.
    const tokyo = weekly([6], "10:00", "12:00", "Asia/Tokyo");
    expect(windowActive(tokyo, at("2030-01-05T01:30:00Z"))).toBe(true);
    expect(windowActive(tokyo, at("2030-01-05T10:30:00Z"))).toBe(false);
    // New York's summer time: 09:00 local is 13:00 UTC in July, 14:00 UTC in January.
    const ny = weekly([0, 1, 2, 3, 4, 5, 6], "09:00", "10:00", "America/New_York");
    expect(windowActive(ny, at("2030-07-10T13:30:00Z"))).toBe(true);
    expect(windowActive(ny, at("2030-01-10T13:30:00Z"))).toBe(false);
    expect(windowActive(ny, at("2030-01-10T14:30:00Z"))).toBe(true);
  });

  it("weekly: an end before the start runs past midnight into the next day", () => {
    const friNight = weekly([5], "22:00", "02:00"); // 2030-01-04 is a Friday
    expect(windowActive(friNight, at("2030-01-04T21:59:00Z"))).toBe(false);
    expect(windowActive(friNight, at("2030-01-04T23:00:00Z"))).toBe(true);
    expect(windowActive(friNight, at("2030-01-05T01:59:00Z"))).toBe(true); // Saturday morning
    expect(windowActive(friNight, at("2030-01-05T02:00:00Z"))).toBe(false);
    expect(windowActive(friNight, at("2030-01-05T23:00:00Z"))).toBe(false); // Saturday night is not Friday's
  });

  it("validates input with field errors", () => {
    const fields = (input: unknown) => {
      const r = windowInputSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
    };
    const base = { target: "server", id: 1 };
    expect(fields({ ...base, kind: "once", startsAt: "2030-01-01T10:00:00Z", endsAt: "2030-01-01T10:30:00+01:00" })).toEqual(["endsAt"]);
    expect(fields({ ...base, kind: "once", startsAt: "2030-01-01T10:00:00Z", endsAt: "2030-01-01T12:00:00Z" })).toEqual([]);
    expect(fields({ ...base, kind: "weekly", days: [1, 8], startTime: "24:00", endTime: "1:00", timeZone: "Nowhere/Land" })).toEqual(["days.1", "startTime", "endTime", "timeZone"]);
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Europe/Atlantis")).toBe(false);
  });
});
