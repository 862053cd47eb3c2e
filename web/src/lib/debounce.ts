/** Timing helpers for live input. */

/** A function that runs `fn` `ms` after the last call; `cancel()` drops a pending run. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = (...args: A) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  run.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return run;
}

/** Wraps an async function so only the answer to the latest call is delivered (older ones are dropped). */
export function latestOnly<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<{ stale: boolean; value?: T; error?: unknown }> {
  let seq = 0;
  return async (...args: A) => {
    const mine = ++seq;
    try {
      const value = await fn(...args);
      return mine === seq ? { stale: false, value } : { stale: true };
    } catch (error) {
      return mine === seq ? { stale: false, error } : { stale: true };
    }
  };
}
