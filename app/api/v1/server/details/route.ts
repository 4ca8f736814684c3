import { nextRoute } from "@/lib/http/api";
import { serverDetails } from "@/lib/dialects/nezha/routes";

export const GET = nextRoute(serverDetails);
