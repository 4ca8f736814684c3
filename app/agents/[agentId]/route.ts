import { nextRoute } from "@/lib/http/api";
import { agentEdit, agentGet } from "@/lib/dialects/trmm/routes";

export const GET = nextRoute(agentGet);
export const PUT = nextRoute(agentEdit);
