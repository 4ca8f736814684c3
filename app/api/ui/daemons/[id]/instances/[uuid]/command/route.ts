import { nextRoute } from "@/lib/http/api";
import { instanceInput } from "@/lib/dialects/ui/daemons";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const POST = nextRoute(instanceInput);
