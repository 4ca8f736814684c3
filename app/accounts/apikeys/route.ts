import { nextRoute } from "@/lib/http/api";
import { apiKeyCreate, apiKeyList } from "@/lib/dialects/trmm/keys";

export const GET = nextRoute(apiKeyList);
export const POST = nextRoute(apiKeyCreate);
