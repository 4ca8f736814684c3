import { nextRoute } from "@/lib/http/api";
import { clientDelete, clientGet, clientUpdate } from "@/lib/dialects/trmm/clients";

export const GET = nextRoute(clientGet);
export const PUT = nextRoute(clientUpdate);
export const DELETE = nextRoute(clientDelete);
