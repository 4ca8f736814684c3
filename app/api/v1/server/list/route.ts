import { nextRoute } from "@/lib/http/api";
import { serverList } from "@/lib/dialects/nezha/routes";

export const GET = nextRoute(serverList);
