import { nextRoute } from "@/lib/http/api";
import { tokenDelete } from "@/lib/dialects/ui/accounts";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const DELETE = nextRoute(tokenDelete);
