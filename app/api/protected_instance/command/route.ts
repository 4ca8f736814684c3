import { nextRoute } from "@/lib/http/api";
import { instanceCommand } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceCommand);
export const POST = nextRoute(instanceCommand);
