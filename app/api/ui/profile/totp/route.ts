import { nextRoute } from "@/lib/http/api";
import { totpDisable, totpEnable, totpState } from "@/lib/dialects/ui/accounts";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(totpState);
export const POST = nextRoute(totpEnable);
export const DELETE = nextRoute(totpDisable);
