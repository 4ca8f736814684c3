import { nextRoute } from "@/lib/http/api";
import { instanceOutputLog } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceOutputLog);
