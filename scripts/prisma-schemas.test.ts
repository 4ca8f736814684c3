import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without type declarations
import { PROVIDERS, expectedMigrations, postgresSchemaFrom, providerOf } from "./prisma-schemas.mjs";

const read = (file: string) => fs.readFileSync(file, "utf8");
const sqlite = () => read(PROVIDERS.sqlite.schema);
const postgres = () => read(PROVIDERS.postgresql.schema);

/** The model and enum blocks of a schema, comments and spacing aside: what both must share. */
function models(schema: string): string[] {
  const blocks = schema.replace(/^\s*\/\/.*$/gm, "").match(/^(model|enum)\s+\w+\s*\{[^}]*\}/gm) ?? [];
  return blocks.map((b) => b.replace(/\s+/g, " ").trim());
}

describe("one source of the models, two providers", () => {
  it("prisma/postgres/schema.prisma is what scripts/prisma-schemas.mjs writes from prisma/schema.prisma", () => {
    // Stale? Run `node scripts/prisma-schemas.mjs` (npm run migrate:create does it too).
    expect(postgres()).toBe(postgresSchemaFrom(sqlite()));
  });

  it("both schemas describe the same models; only the provider and the client folder differ", () => {
    expect(models(postgres())).toEqual(models(sqlite()));
    expect(models(sqlite()).length).toBeGreaterThanOrEqual(8);
    expect(postgres()).toMatch(/provider\s*=\s*"postgresql"/);
    expect(postgres()).toContain('output   = "../../lib/generated/prisma-pg"');
  });

  it("refuses a schema it does not know how to translate", () => {
    expect(() => postgresSchemaFrom('datasource db {\n  provider = "mysql"\n}\n')).toThrow(/expected one sqlite datasource/);
  });

  it("each provider has the same migrations, each with the schema it was made from", () => {
    const names = expectedMigrations("sqlite");
    expect(names.length).toBeGreaterThan(0);
    expect(expectedMigrations("postgresql")).toEqual(names);
    for (const provider of ["sqlite", "postgresql"] as const) {
      const dir = PROVIDERS[provider].migrations;
      expect(read(path.join(dir, "migration_lock.toml"))).toContain(`provider = "${provider}"`);
      for (const name of names) {
        expect(fs.existsSync(path.join(dir, name, "migration.sql"))).toBe(true);
        expect(fs.existsSync(path.join(dir, name, "schema.prisma.snapshot"))).toBe(true);
      }
    }
    // The newest snapshot holds the current models, or a migration is missing: run
    // `npm run migrate:create -- <name>`.
    const last = names.at(-1)!;
    expect(models(read(path.join(PROVIDERS.sqlite.migrations, last, "schema.prisma.snapshot")))).toEqual(models(sqlite()));
    expect(models(read(path.join(PROVIDERS.postgresql.migrations, last, "schema.prisma.snapshot")))).toEqual(models(postgres()));
  });

  it("reads the provider from DATABASE_URL", () => {
    expect(providerOf("file:/data/fleetdeck.db")).toBe("sqlite");
    expect(providerOf("postgres://u:p@db:5432/fleet")).toBe("postgresql");
    expect(providerOf("postgresql://db/fleet")).toBe("postgresql");
    expect(providerOf("postgresqlx://db/fleet")).toBe("sqlite");
  });
});
