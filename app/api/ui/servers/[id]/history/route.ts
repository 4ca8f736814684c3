import { z } from "zod";
import { ApiError } from "@/lib/dialects/common";
import { uiOk, uiRoute } from "@/lib/http/ui";
import { live } from "@/lib/fleet/live";
import { serverHistory } from "@/lib/fleet/history";
import { historyPoints, historyRangeSchema, serverIdSchema } from "@/lib/fleet/server-view";

const querySchema = z.object({ range: historyRangeSchema.default("hour") });

/** Chart data: 10-second averages of the last hour, or minute averages of the last day. */
export const GET = uiRoute(async (req) => {
  const id = serverIdSchema.safeParse(req.params.id);
  await live.ready();
  if (!id.success || !live.get(id.data)) throw new ApiError(404, "No such server");
  const query = querySchema.safeParse({ range: req.query.get("range") || undefined });
  if (!query.success) throw new ApiError(400, "range must be hour or day");
  return uiOk(historyPoints(await serverHistory(id.data, query.data.range)));
});
