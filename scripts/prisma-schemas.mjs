// One source of the models, two providers. Prisma wants one schema file per provider, and the
// provider is baked into the client it generates, so prisma/postgres/schema.prisma is written from
// prisma/schema.prisma (SQLite) here and never edited by hand. `npm run migrate:create` rewrites
// it before diffing; a unit test fails when the committed copy is stale.
//   node scripts/prisma-schemas.mjs        rewrite prisma/postgres/schema.prisma
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Where each provider's schema, migrations and generated client live. */
export const PROVIDERS = {
  sqlite: {
    schema: path.join(root, "prisma/schema.prisma"),
    migrations: path.join(root, "prisma/migrations"),
  },
  postgresql: {
    schema: path.join(root, "prisma/postgres/schema.prisma"),
    migrations: path.join(root, "prisma/postgres/migrations"),
  },
};

/** Names of the migrations a database of this provider must have applied to be current. */
export function expectedMigrations(provider) {
  const dir = PROVIDERS[provider].migrations;
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** "postgresql" for postgres:// and postgresql:// URLs, otherwise "sqlite" (file: URLs). */
export function providerOf(url) {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

const HEADER =
  "// GENERATED from prisma/schema.prisma by scripts/prisma-schemas.mjs: do not edit.\n" +
  "// Change the models there, then `npm run migrate:create -- <name>` (it rewrites this file).\n";

/**
 * The PostgreSQL schema for a given SQLite schema: the same models, another datasource provider
 * and another client folder. The models use no native types, so nothing else needs translating.
 */
export function postgresSchemaFrom(source) {
  let providers = 0;
  let outputs = 0;
  const out = source
    .replace(/(datasource\s+\w+\s*\{[^}]*?provider\s*=\s*)"sqlite"/, (_m, head) => (providers++, `${head}"postgresql"`))
    .replace(/(generator\s+\w+\s*\{[^}]*?output\s*=\s*)"\.\.\/lib\/generated\/prisma"/, (_m, head) => (outputs++, `${head}"../../lib/generated/prisma-pg"`));
  if (providers !== 1 || outputs !== 1) {
    throw new Error("prisma/schema.prisma: expected one sqlite datasource and one generator writing ../lib/generated/prisma");
  }
  return HEADER + out;
}

export function writePostgresSchema() {
  const content = postgresSchemaFrom(fs.readFileSync(PROVIDERS.sqlite.schema, "utf8"));
  fs.mkdirSync(path.dirname(PROVIDERS.postgresql.schema), { recursive: true });
  const current = fs.existsSync(PROVIDERS.postgresql.schema) ? fs.readFileSync(PROVIDERS.postgresql.schema, "utf8") : null;
  if (current !== content) fs.writeFileSync(PROVIDERS.postgresql.schema, content);
  return current !== content;
}

// By name as well: compiled into dist/server.cjs (lib/http/health.ts imports this file), both
// sides of the first test are the bundle, and the panel would rewrite the schema at every start.
if (process.argv[1] === fileURLToPath(import.meta.url) && path.basename(process.argv[1]) === "prisma-schemas.mjs") {
  console.log(writePostgresSchema() ? "wrote prisma/postgres/schema.prisma" : "prisma/postgres/schema.prisma is up to date");
}
