/** Runs one call per key at a time; concurrent callers with the same key share the leader's promise. */
export function createSingleFlight<T>() {
  const inflight = new Map<string, Promise<T>>();
  return {
    /** `leader` is true for the caller that actually ran `fn`. */
    async do(key: string, fn: () => Promise<T>): Promise<{ value: T; leader: boolean }> {
      const existing = inflight.get(key);
      if (existing) return { value: await existing, leader: false };
      const p = fn().finally(() => inflight.delete(key));
      inflight.set(key, p);
      return { value: await p, leader: true };
    },
  };
}
