import { nextRoute } from "@/lib/http/api";
import { instanceOpen } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceOpen);
export const POST = nextRoute(instanceOpen);
