/**
 * Process-wide singletons. The custom server (server.ts, run by tsx) and Next's bundled route
 * handlers load separate copies of every module, so state both must see (the Prisma client,
 * live server state, caches, the agent hub) hangs off globalThis under one key.
 */
const KEY = Symbol.for("fleetdeck.singletons");
type Registry = Map<string, unknown>;

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[KEY] ??= new Map());
}

export function singleton<T>(name: string, create: () => T): T {
  const reg = registry();
  if (!reg.has(name)) reg.set(name, create());
  return reg.get(name) as T;
}

export function setSingleton<T>(name: string, value: T): void {
  registry().set(name, value);
}

export function getSingleton<T>(name: string): T | undefined {
  return registry().get(name) as T | undefined;
}
