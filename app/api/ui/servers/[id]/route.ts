import { nextRoute } from "@/lib/http/api";
import { editServer, getServer, removeServer } from "@/lib/dialects/ui/servers";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(getServer);
export const PATCH = nextRoute(editServer);
export const DELETE = nextRoute(removeServer);
