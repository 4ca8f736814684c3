import { nextRoute } from "@/lib/http/api";
import { winupdateList } from "@/lib/dialects/trmm/routes";

export const GET = nextRoute(winupdateList);
