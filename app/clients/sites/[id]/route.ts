import { nextRoute } from "@/lib/http/api";
import { siteDelete, siteGet, siteUpdate } from "@/lib/dialects/trmm/clients";

export const GET = nextRoute(siteGet);
export const PUT = nextRoute(siteUpdate);
export const DELETE = nextRoute(siteDelete);
