import { nextRoute } from "@/lib/http/api";
import { monitorHistory } from "@/lib/dialects/nezha/routes";

export const GET = nextRoute(monitorHistory);
