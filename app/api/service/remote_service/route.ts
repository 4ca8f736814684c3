import { nextRoute } from "@/lib/http/api";
import { daemonCreate, daemonDelete, daemonUpdate } from "@/lib/dialects/mcsm/admin";

export const POST = nextRoute(daemonCreate);
export const PUT = nextRoute(daemonUpdate);
export const DELETE = nextRoute(daemonDelete);
