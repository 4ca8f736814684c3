import { nextRoute } from "@/lib/http/api";
import { agentCmd } from "@/lib/dialects/trmm/routes";

export const POST = nextRoute(agentCmd);
