import { nextRoute } from "@/lib/http/api";
import { daemonLink } from "@/lib/dialects/mcsm/admin";

export const GET = nextRoute(daemonLink);
