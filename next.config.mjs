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
  // `npm test` type-checks the whole project (tsc --noEmit); a user's first `npm start` need not.
  typescript: { ignoreBuildErrors: true },
};

export default withNextIntl(nextConfig);
