"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { SessionProvider } from "next-auth/react";
import { useState } from "react";

// next-auth's routes are not at its default /api/auth (MCSManager's user API is): NEXTAUTH_BASE_PATH
// in lib/env.ts. SessionProvider is what tells signIn/signOut in the browser; `session={null}` and
// no refetching keep it from asking the server for a session nobody here reads.
const NEXTAUTH_BASE_PATH = "/api/nextauth";

export function Providers({ children }: { children: React.ReactNode }) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }));
  return (
    <SessionProvider basePath={NEXTAUTH_BASE_PATH} session={null} refetchOnWindowFocus={false}>
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    </SessionProvider>
  );
}
