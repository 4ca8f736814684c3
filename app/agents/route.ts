import { nextRoute } from "@/lib/http/api";
import { agentList } from "@/lib/dialects/trmm/routes";

export const GET = nextRoute(agentList);
