import { nextRoute } from "@/lib/http/api";
import { addServer, listServers } from "@/lib/dialects/ui/servers";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(listServers);
export const POST = nextRoute(addServer);
