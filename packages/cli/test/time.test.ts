import { describe, expect, it } from "vitest";
import { formatGoTime, formatRfc3339, GO_ZERO_TIME } from "../src/format/time.js";

const ts = (seconds: bigint, nanos: number) => ({ $typeName: "google.protobuf.Timestamp" as const, seconds, nanos });

describe("formatGoTime (Go's Time.String of a UTC time)", () => {
  it.each([
    // As ctr events printed them (Debian ctr 1.6.20).
    [ts(1_795_830_291n, 444_549_830), "2026-11-28 01:44:51.44454983 +0000 UTC"],
    [ts(1_795_830_291n, 410_740_119), "2026-11-28 01:44:51.410740119 +0000 UTC"],
    [ts(1_795_830_291n, 500_000_000), "2026-11-28 01:44:51.5 +0000 UTC"],
    [ts(1_795_830_291n, 0), "2026-11-28 01:44:51 +0000 UTC"],
    [ts(0n, 1), "1970-01-01 00:00:00.000000001 +0000 UTC"],
    [GO_ZERO_TIME, "0001-01-01 00:00:00 +0000 UTC"],
    [undefined, "0001-01-01 00:00:00 +0000 UTC"],
  ])("%o is %s", (timestamp, want) => {
    expect(formatGoTime(timestamp)).toBe(want);
  });
});

describe("formatRfc3339 (Go's Format(time.RFC3339))", () => {
  const ms = Date.UTC(2026, 10, 28, 1, 57, 45, 999);

  it("writes UTC as Z and truncates to whole seconds", () => {
    expect(formatRfc3339(ms, 0)).toBe("2026-11-28T01:57:45Z");
  });

  it.each([
    [60, "2026-11-28T02:57:45+01:00"],
    [330, "2026-11-28T07:27:45+05:30"],
    [-300, "2026-11-27T20:57:45-05:00"],
  ])("writes offset %d min as local time with ±hh:mm", (offset, want) => {
    expect(formatRfc3339(ms, offset)).toBe(want);
  });

  it("defaults to the local time zone", () => {
    expect(formatRfc3339(ms)).toBe(formatRfc3339(ms, -new Date(ms).getTimezoneOffset()));
  });

  it("truncates times before 1970 towards the past, as Go", () => {
    expect(formatRfc3339(-500, 0)).toBe("1969-12-31T23:59:59Z");
  });
});
