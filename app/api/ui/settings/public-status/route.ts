import { nextRoute } from "@/lib/http/api";
import { publicStatusGet, publicStatusSet } from "@/lib/dialects/ui/accounts";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(publicStatusGet);
export const PUT = nextRoute(publicStatusSet);
