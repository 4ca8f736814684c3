import { nextRoute } from "@/lib/http/api";
import { editInstance, removeInstance } from "@/lib/dialects/ui/daemons";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const PATCH = nextRoute(editInstance);
export const DELETE = nextRoute(removeInstance);
