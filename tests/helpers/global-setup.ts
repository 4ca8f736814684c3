/**
 * Once per vitest run, before any test file: the compiled server (dist/server.cjs, which
 * startPanel runs) and the agent bundle (which the agent tests and the panel's local agent run)
 * are rebuilt when older than their sources, as `npm start` does — here rather than in each file,
 * since files run side by side and two of them must not rewrite one bundle at once.
 *
 * Next's production build (.next) is not: it takes minutes on a loaded machine, and a run of one
 * test file after a change to lib/ rarely needs it. When it is older than its sources this says
 * so once; `npm test` builds it before running vitest.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./panel";

const load = <T>(file: string) => import(pathToFileURL(path.join(ROOT, file)).href) as Promise<T>;

export default async function setup(): Promise<void> {
  const agent = await load<{ ensureAgentBundle(opts: { quiet: boolean }): Promise<unknown> }>("scripts/build-agent.mjs");
  const server = await load<{ buildServer(opts: { quiet: boolean }): Promise<void>; serverBundleIsStale(): boolean }>("scripts/build-server.mjs");
  const next = await load<{ needsBuild(): boolean }>("scripts/start.mjs");
  await agent.ensureAgentBundle({ quiet: true });
  if (server.serverBundleIsStale()) await server.buildServer({ quiet: true });
  if (next.needsBuild()) {
    console.warn(
      "fleetdeck tests: Next's build (.next) is older than its sources, so pages and sign-in run the old code " +
        "(and tests/api/start.test.ts, through `npm start`, rebuilds it while other files run): `npm run build` first",
    );
  }
}
