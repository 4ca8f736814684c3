import { nextRoute } from "@/lib/http/api";
import { winupdateScan } from "@/lib/dialects/trmm/routes";

export const POST = nextRoute(winupdateScan);
