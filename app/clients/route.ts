import { nextRoute } from "@/lib/http/api";
import { clientsCreate, clientsList } from "@/lib/dialects/trmm/clients";

export const GET = nextRoute(clientsList);
export const POST = nextRoute(clientsCreate);
