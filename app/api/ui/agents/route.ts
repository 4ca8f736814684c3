import { nextRoute } from "@/lib/http/api";
import { listAgents } from "@/lib/dialects/ui/agents";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(listAgents);
