import { nextRoute } from "@/lib/http/api";
import { remoteServicesSystem } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(remoteServicesSystem);
