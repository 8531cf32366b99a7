// Global test setup: starts shared services (see test-support/*.ts). Each returns a teardown.
export default async function setup(): Promise<() => Promise<void>> {
  const teardowns: Array<() => Promise<void>> = [];
  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}
