import { nextRoute } from "@/lib/http/api";
import { agentHistory } from "@/lib/dialects/trmm/routes";

export const GET = nextRoute(agentHistory);
