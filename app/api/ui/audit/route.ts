import { uiOk, uiRoute } from "@/lib/http/ui";
import { auditPage } from "@/lib/audit-view";

/** `?before=<id>&limit=<1-200>&action=<action or family>`, newest first. */
export const GET = uiRoute(async (req) => uiOk(await auditPage(Object.fromEntries(req.query))), { admin: true });
