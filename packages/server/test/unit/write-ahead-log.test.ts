import { describe, expect, it } from "vitest";
import { crc32c, frameLog, readLog } from "../../src/store/write-ahead-log.js";

const record = (length: number, fill: number) => Buffer.alloc(length, fill);

describe("LevelDB's log format", () => {
  it("computes CRC-32C (the check value of RFC 3720)", () => {
    expect(crc32c(Buffer.from("123456789")).toString(16)).toBe("e3069283");
  });

  it("reads back what it frames: small records, one across three blocks, a block's tail padding", () => {
    const records = [record(10, 1), record(80_000, 2), record(32_768 - 7 - 7 - 3, 3), record(5, 4)];
    const { records: read, damage } = readLog(frameLog(records), "000001.log");
    expect(damage).toEqual([]);
    expect(read).toEqual(records);
  });

  it("reports a flipped bit as a checksum mismatch and keeps the records of the other blocks", () => {
    const records = Array.from({ length: 40 }, (_, i) => record(3000, i));
    const bytes = frameLog(records);
    bytes[40_000] = (bytes[40_000] as number) ^ 0x04;
    const { records: read, damage } = readLog(bytes, "000001.log");
    // The damaged block is dropped; a later block may start with the rest of a record whose start is gone.
    const [first, ...rest] = damage.map((d) => d.reason);
    expect(first).toBe("checksum mismatch");
    for (const reason of rest) expect(reason).toBe("missing start of fragmented record");
    expect(read.length).toBeGreaterThan(25);
    expect(read.length).toBeLessThan(40);
    for (const kept of read) expect(records.some((r) => r.equals(kept))).toBe(true);
  });

  it("takes a record cut off by the end of the file for an unfinished write, not damage", () => {
    const bytes = frameLog([record(100, 1), record(100, 2)]);
    const { records, damage } = readLog(bytes.subarray(0, bytes.length - 30), "000001.log");
    expect(damage).toEqual([]);
    expect(records).toEqual([record(100, 1)]);
  });
});
