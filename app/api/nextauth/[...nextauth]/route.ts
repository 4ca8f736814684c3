import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";

// Sign-in lives under /api/nextauth (NEXTAUTH_BASE_PATH in lib/env.ts, SessionProvider's basePath in
// components/providers.tsx): MCSManager's clients need /api/auth/* for its user routes.
const handler = NextAuth(authOptions);
export { handler as GET, handler as POST };
