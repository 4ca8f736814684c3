import { nextRoute } from "@/lib/http/api";
import { ruleEdit, ruleDelete } from "@/lib/dialects/ui/alerts";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const PATCH = nextRoute(ruleEdit);
export const DELETE = nextRoute(ruleDelete);
