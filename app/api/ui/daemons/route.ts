import { uiOk, uiRoute } from "@/lib/http/ui";
import { daemonRows } from "@/lib/mcsm/ui";

/** Every daemon with its live figures (the daemon list polls this). */
export const GET = uiRoute(async () => uiOk(await daemonRows()));
