import { nextRoute } from "@/lib/http/api";
import { multiStop } from "@/lib/dialects/mcsm/admin";

export const POST = nextRoute(multiStop);
