/**
 * Once per vitest run, before any test file: the compiled server (dist/server.cjs, which
 * startPanel runs) and the agent bundle (which the agent tests and the panel's local agent run)
 * are rebuilt when older than their sources, as `npm start` does — here rather than in each file,
 * since files run side by side and two of them must not rewrite one bundle at once.
 *
 * Next's production build (.next) takes minutes on a loaded machine, and a run of a few test
 * files after a change to lib/ rarely needs it: when it is older than its sources this says so,
 * and builds it only for a run that includes tests/api/start.test.ts — whose `npm start` would
 * otherwise rebuild it in the middle of the run, under the other files' panels. `npm test` builds
 * it before running vitest.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { TestProject } from "vitest/node";
import { ROOT } from "./panel";

const load = <T>(file: string) => import(pathToFileURL(path.join(ROOT, file)).href) as Promise<T>;
const START_TEST = path.join(ROOT, "tests/api/start.test.ts");

export default async function setup(project: TestProject): Promise<void> {
  const agent = await load<{ ensureAgentBundle(opts: { quiet: boolean }): Promise<unknown> }>("scripts/build-agent.mjs");
  const server = await load<{ buildServer(opts: { quiet: boolean }): Promise<void>; serverBundleIsStale(): boolean }>("scripts/build-server.mjs");
  const start = await load<{ needsBuild(): boolean; buildIfNeeded(): Promise<void> }>("scripts/start.mjs");
  await agent.ensureAgentBundle({ quiet: true });
  if (server.serverBundleIsStale()) await server.buildServer({ quiet: true });
  if (!start.needsBuild()) return;
  // The files this run was given (vitest keeps the command line's filters; none: every file).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? [];
  const files = (await project.vitest.globTestSpecifications(filters)).map((s) => s.moduleId);
  if (files.includes(START_TEST) && files.length > 1) {
    console.log("fleetdeck tests: Next's build (.next) is older than its sources: building it first (tests/api/start.test.ts would, under the other files' panels)");
    await start.buildIfNeeded();
  } else {
    console.warn("fleetdeck tests: Next's build (.next) is older than its sources, so pages and sign-in run the old code: `npm run build` to test them");
  }
}
