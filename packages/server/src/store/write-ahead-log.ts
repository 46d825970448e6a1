import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * LevelDB's write-ahead log, read without LevelDB (its `db/log_format.h`): the
 * file is a run of 32 KiB blocks; each record has a 7-byte header — masked
 * CRC-32C of type and data, 16-bit length, type (FULL, or FIRST/MIDDLE/LAST for
 * a record split across blocks) — and a block's last < 7 bytes are zero padding.
 *
 * Without paranoid checks (which classic-level does not let us turn on),
 * LevelDB skips a damaged record and the rest of its block on open, logs
 * "dropping … bytes; Corruption" in its LOG, and then folds what it kept into a
 * table, so acknowledged records are gone for good. Reading the logs first lets
 * berthd refuse to start instead, before LevelDB has touched a file, and lets a
 * repair keep exactly the records whose checksums hold (LevelDB's own RepairDB
 * reads logs without checking them).
 */

const BLOCK_BYTES = 32 * 1024;
const HEADER_BYTES = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
const MASK_DELTA = 0xa282ead8;

/** One damaged stretch of a log file. */
export interface LogDamage {
  /** The log's file name, e.g. `000005.log`. */
  readonly file: string;
  /** Byte offset of the damage in the file. */
  readonly offset: number;
  /** Bytes LevelDB would skip there. */
  readonly bytes: number;
  /** What is wrong, in LevelDB's words where it has them. */
  readonly reason: string;
}

/** What one log file holds: its complete, intact records (write batches) and its damage. */
export interface LogContents {
  readonly records: Buffer[];
  readonly damage: LogDamage[];
}

/**
 * The damage in every `*.log` file of the database at `location`, oldest first;
 * empty when all of them read cleanly. A record cut off at the very end of a
 * file is not damage: it is a write that never completed (and, with every write
 * synced, was never acknowledged), which LevelDB also ignores.
 */
export async function findLogDamage(location: string): Promise<LogDamage[]> {
  const damage: LogDamage[] = [];
  for (const name of await logFiles(location)) {
    damage.push(...readLog(await readFile(join(location, name)), name).damage);
  }
  return damage;
}

/**
 * Rewrites every damaged log of the database at `location` with only its
 * intact records, so that LevelDB replays exactly those; each damaged original
 * is moved into `keepDir` first. Returns the damage that was cut out.
 */
export async function salvageLogs(location: string, keepDir: string): Promise<LogDamage[]> {
  const cut: LogDamage[] = [];
  for (const name of await logFiles(location)) {
    const path = join(location, name);
    const contents = readLog(await readFile(path), name);
    if (contents.damage.length === 0) continue;
    await mkdir(keepDir, { recursive: true, mode: 0o700 });
    await rename(path, join(keepDir, name));
    await writeFile(path, frameLog(contents.records), { mode: 0o644 });
    cut.push(...contents.damage);
  }
  return cut;
}

async function logFiles(location: string): Promise<string[]> {
  const names = (await readdir(location).catch(() => [] as string[])).filter((name) => /^\d+\.log$/.test(name));
  return names.sort();
}

/** Reads one log file's bytes as LevelDB's log reader does, checking every checksum. */
export function readLog(bytes: Buffer, file: string): LogContents {
  const records: Buffer[] = [];
  const damage: LogDamage[] = [];
  let fragments: Buffer[] | undefined;
  for (let blockStart = 0; blockStart < bytes.length; blockStart += BLOCK_BYTES) {
    const blockEnd = Math.min(bytes.length, blockStart + BLOCK_BYTES);
    const atEnd = blockEnd === bytes.length;
    let at = blockStart;
    while (blockEnd - at >= HEADER_BYTES) {
      const length = bytes.readUInt16LE(at + 4);
      const type = bytes[at + 6] as number;
      if (type === 0 && length === 0) break; // preallocated zeros: nothing more in this block
      const end = at + HEADER_BYTES + length;
      if (end > blockEnd) {
        // Cut off by the end of the file: an incomplete last write. Anywhere else: a bad length.
        if (!atEnd) {
          damage.push({ file, offset: at, bytes: blockEnd - at, reason: "bad record length" });
          fragments = undefined;
        }
        break;
      }
      if (unmask(bytes.readUInt32LE(at)) !== crc32c(bytes, at + 6, end)) {
        damage.push({ file, offset: at, bytes: blockEnd - at, reason: "checksum mismatch" });
        fragments = undefined;
        break; // LevelDB drops the rest of the block
      }
      const data = bytes.subarray(at + HEADER_BYTES, end);
      if (type === FULL || type === FIRST) {
        if (fragments !== undefined) damage.push({ file, offset: at, bytes: 0, reason: "partial record without end" });
        if (type === FULL) records.push(data);
        fragments = type === FIRST ? [data] : undefined;
      } else if (type === MIDDLE || type === LAST) {
        if (fragments === undefined) {
          damage.push({ file, offset: at, bytes: length, reason: "missing start of fragmented record" });
        } else {
          fragments.push(data);
          if (type === LAST) {
            records.push(Buffer.concat(fragments));
            fragments = undefined;
          }
        }
      } else {
        damage.push({ file, offset: at, bytes: length + HEADER_BYTES, reason: `unknown record type ${type}` });
      }
      at = end;
    }
  }
  return { records, damage };
}

/** Frames records into a log file's bytes as LevelDB's log writer does. */
export function frameLog(records: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  let blockOffset = 0;
  for (const record of records) {
    let at = 0;
    let begin = true;
    do {
      const leftover = BLOCK_BYTES - blockOffset;
      if (leftover < HEADER_BYTES) {
        if (leftover > 0) out.push(Buffer.alloc(leftover));
        blockOffset = 0;
      }
      const length = Math.min(record.length - at, BLOCK_BYTES - blockOffset - HEADER_BYTES);
      const end = at + length === record.length;
      const type = begin && end ? FULL : begin ? FIRST : end ? LAST : MIDDLE;
      const data = record.subarray(at, at + length);
      const header = Buffer.allocUnsafe(HEADER_BYTES);
      header.writeUInt32LE(mask(crc32c(Buffer.concat([Buffer.from([type]), data]))), 0);
      header.writeUInt16LE(length, 4);
      header[6] = type;
      out.push(header, data);
      blockOffset += HEADER_BYTES + length;
      at += length;
      begin = false;
    } while (at < record.length);
  }
  return Buffer.concat(out);
}

function mask(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

function unmask(masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `bytes[start, end)`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (CRC32C_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
