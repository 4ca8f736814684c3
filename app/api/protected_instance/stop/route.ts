import { nextRoute } from "@/lib/http/api";
import { instanceStop } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceStop);
export const POST = nextRoute(instanceStop);
