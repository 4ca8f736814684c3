import { nextRoute } from "@/lib/http/api";
import { overviewHandler } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(overviewHandler);
