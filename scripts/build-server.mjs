// The panel's custom server compiled ahead of time: server.ts and the lib/ modules it imports
// (everything outside Next's own bundles) into dist/server.cjs, which `npm start` runs with plain
// node — no TypeScript compiler (tsx, and its esbuild helper process) at run time.
//
// Packages stay in node_modules (Next, Prisma's runtime, next-auth… are loaded from there, as
// Next's bundles load them). CommonJS output, because those packages are read through require()
// the way tsx read them: named imports from CommonJS packages need no interop guesswork.
// `import.meta.url` (server.ts, the generated Prisma client) is the compiled file's URL.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SERVER_BUNDLE = path.join(root, "dist/server.cjs");
/** What the compiled server is made of: `npm start` recompiles when one is newer. */
export const SERVER_SOURCES = ["server.ts", "lib", "agent/protocol.ts", "tsconfig.json", "package.json", "scripts/build-server.mjs"];

/** The newest modification time under a path of the repository (tests and generated code left out). */
export function newestMtime(p) {
  const full = path.join(root, p);
  if (!fs.existsSync(full)) return 0;
  const stat = fs.statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(full)) {
    // Tests beside the code (lib/**/*.test.ts) are no part of what is built.
    if (entry === "generated" || entry === "node_modules" || entry.endsWith(".test.ts")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** Whether dist/server.cjs is missing or older than one of SERVER_SOURCES. */
export function serverBundleIsStale() {
  if (!fs.existsSync(SERVER_BUNDLE)) return true;
  const built = fs.statSync(SERVER_BUNDLE).mtimeMs;
  return SERVER_SOURCES.some((s) => newestMtime(s) > built);
}

export async function buildServer({ quiet = false } = {}) {
  const { build } = await import("esbuild");
  fs.mkdirSync(path.dirname(SERVER_BUNDLE), { recursive: true });
  const started = Date.now();
  // Written aside and renamed into place: a panel starting meanwhile reads the old file or the
  // new one, never half of one.
  const tmp = path.join(path.dirname(SERVER_BUNDLE), `.server-${process.pid}.cjs`);
  await build({
    entryPoints: [path.join(root, "server.ts")],
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    tsconfig: path.join(root, "tsconfig.json"),
    define: { "import.meta.url": "__fleetdeckModuleUrl" },
    banner: { js: 'const __fleetdeckModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    sourcemap: "linked",
    logLevel: quiet ? "error" : "warning",
  });
  // The bundle names its map: the final name, not the temporary one.
  fs.renameSync(`${tmp}.map`, `${SERVER_BUNDLE}.map`);
  fs.writeFileSync(tmp, fs.readFileSync(tmp, "utf8").replace(`//# sourceMappingURL=${path.basename(tmp)}.map`, `//# sourceMappingURL=${path.basename(SERVER_BUNDLE)}.map`));
  fs.renameSync(tmp, SERVER_BUNDLE);
  if (!quiet) console.log(`fleetdeck: server compiled → ${path.relative(root, SERVER_BUNDLE)} in ${Date.now() - started} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildServer().catch((e) => {
    console.error(`fleetdeck: cannot compile the server: ${e.message}`);
    process.exit(1);
  });
}
