import { nextRoute } from "@/lib/http/api";
import { multiKill } from "@/lib/dialects/mcsm/admin";

export const POST = nextRoute(multiKill);
