import { nextRoute } from "@/lib/http/api";
import { sendCommand } from "@/lib/dialects/ui/agents";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const POST = nextRoute(sendCommand);
