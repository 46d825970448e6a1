import { useEffect, useState } from "preact/hooks";

/** The current time in ms, refreshed every `intervalMs` so relative times stay true. */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
