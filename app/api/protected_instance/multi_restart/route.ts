import { nextRoute } from "@/lib/http/api";
import { multiRestart } from "@/lib/dialects/mcsm/admin";

export const POST = nextRoute(multiRestart);
