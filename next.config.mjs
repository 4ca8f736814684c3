import createNextIntlPlugin from "next-intl/plugin";

const withNextIntl = createNextIntlPlugin("./lib/i18n/request.ts");

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Tactical RMM's paths end in "/" and its clients call them with and without: never redirect.
  skipTrailingSlashRedirect: true,
  // A separate build folder lets parallel work (and tests) build side by side.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  serverExternalPackages: [
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "pg",
    "@prisma/client",
    "ws",
    "bcryptjs",
    "systeminformation",
    "nodemailer",
  ],
  poweredByHeader: false,
  // Each page and route handler is loaded when it is first asked for, not all at start: every
  // route bundle carries its own copy of lib/ (about 1 MiB of source and the objects it builds),
  // and the API routes are answered by lib/panel.ts's fast door without Next. Preloading them all
  // cost about 30 MiB of the panel's memory for nothing (bench/ingest.mjs).
  experimental: { preloadEntriesOnStart: false },
  // `npm test` type-checks the whole project (tsc --noEmit); a user's first `npm start` need not.
  typescript: { ignoreBuildErrors: true },
};

export default withNextIntl(nextConfig);
