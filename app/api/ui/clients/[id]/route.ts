import { nextRoute } from "@/lib/http/api";
import { editClient, removeClient } from "@/lib/dialects/ui/clients";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const PATCH = nextRoute(editClient);
export const DELETE = nextRoute(removeClient);
