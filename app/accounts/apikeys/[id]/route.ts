import { nextRoute } from "@/lib/http/api";
import { apiKeyDelete, apiKeyGet, apiKeyUpdate } from "@/lib/dialects/trmm/keys";

export const GET = nextRoute(apiKeyGet);
export const PUT = nextRoute(apiKeyUpdate);
export const DELETE = nextRoute(apiKeyDelete);
