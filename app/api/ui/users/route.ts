import { nextRoute } from "@/lib/http/api";
import { userCreate, usersList } from "@/lib/dialects/ui/accounts";

// Served by server.ts before Next (lib/dialects/ui/routes.ts); this file is the same handler for `next start`.
export const GET = nextRoute(usersList);
export const POST = nextRoute(userCreate);
