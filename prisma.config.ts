import { defineConfig } from "prisma/config";

// The URL is only used by Prisma's CLI; at run time lib/db.ts builds the driver adapter.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
