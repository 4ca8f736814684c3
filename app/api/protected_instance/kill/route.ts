import { nextRoute } from "@/lib/http/api";
import { instanceKill } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceKill);
export const POST = nextRoute(instanceKill);
