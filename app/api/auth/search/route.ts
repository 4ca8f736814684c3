import { nextRoute } from "@/lib/http/api";
import { userSearch } from "@/lib/dialects/mcsm/admin";

export const GET = nextRoute(userSearch);
