import { nextRoute } from "@/lib/http/api";
import { remoteServicesHandler } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(remoteServicesHandler);
