import { nextRoute } from "@/lib/http/api";
import { listClientsAndSites, addClient } from "@/lib/dialects/ui/clients";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(listClientsAndSites);
export const POST = nextRoute(addClient);
