import { nextRoute } from "@/lib/http/api";
import { listQueue } from "@/lib/dialects/ui/queue";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(listQueue);
