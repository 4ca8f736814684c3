import { nextRoute } from "@/lib/http/api";
import { remoteServicesListHandler } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(remoteServicesListHandler);
