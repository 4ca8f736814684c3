import { nextRoute } from "@/lib/http/api";
import { instanceRestart } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceRestart);
export const POST = nextRoute(instanceRestart);
