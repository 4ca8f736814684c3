import { nextRoute } from "@/lib/http/api";
import { getQueuedJob, cancelQueuedJob } from "@/lib/dialects/ui/queue";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(getQueuedJob);
export const DELETE = nextRoute(cancelQueuedJob);
