import { nextRoute } from "@/lib/http/api";
import { remoteServiceInstances } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(remoteServiceInstances);
