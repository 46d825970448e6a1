import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";

/** Returns the current time; injectable so tests can pin it. */
export type Clock = () => Timestamp;

const NANOS_PER_SECOND = 1_000_000_000n;
// Wall-clock nanoseconds at hrtime zero: Date has only milliseconds, hrtime has nanoseconds.
const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** The wall-clock time with nanosecond precision, as containerd's `time.Now().UTC()`. */
export const systemClock: Clock = () => {
  const nanos = origin + process.hrtime.bigint();
  return create(TimestampSchema, {
    seconds: nanos / NANOS_PER_SECOND,
    nanos: Number(nanos % NANOS_PER_SECOND),
  });
};
