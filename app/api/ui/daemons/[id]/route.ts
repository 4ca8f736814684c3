import { uiOk, uiRoute } from "@/lib/http/ui";
import { actorOf, daemonDetail, daemonFromParams, setRemarks } from "@/lib/mcsm/ui";

/** One daemon and its instances with their live status. */
export const GET = uiRoute(async (req) => uiOk(await daemonDetail(await daemonFromParams(req))));

/** Edits the daemon's remarks (MCSManager's display name for a daemon). */
export const PATCH = uiRoute(
  async (req, me) => uiOk(await setRemarks(await daemonFromParams(req), await req.json(), actorOf(req, me))),
  { admin: true },
);
