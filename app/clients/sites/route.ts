import { nextRoute } from "@/lib/http/api";
import { sitesCreate, sitesList } from "@/lib/dialects/trmm/clients";

export const GET = nextRoute(sitesList);
export const POST = nextRoute(sitesCreate);
