import { nextRoute } from "@/lib/http/api";
import { agentGet } from "@/lib/dialects/trmm/routes";

export const GET = nextRoute(agentGet);
