import { nextRoute } from "@/lib/http/api";
import { setStreamView } from "@/lib/dialects/ui/stream";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const POST = nextRoute(setStreamView);
