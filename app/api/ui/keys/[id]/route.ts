import { nextRoute } from "@/lib/http/api";
import { keyDelete, keyEdit } from "@/lib/dialects/ui/accounts";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const PATCH = nextRoute(keyEdit);
export const DELETE = nextRoute(keyDelete);
