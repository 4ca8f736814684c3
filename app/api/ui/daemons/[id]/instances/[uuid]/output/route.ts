import { uiOk, uiRoute } from "@/lib/http/ui";
import { readInstanceOutput } from "@/lib/mcsm/control";
import { daemonFromParams } from "@/lib/mcsm/ui";

/** The instance's recent console output (the console polls this every 1.5 s). */
export const GET = uiRoute(
  async (req) => {
    const daemon = await daemonFromParams(req);
    return uiOk({ output: await readInstanceOutput(daemon.meta.id, req.params.uuid ?? "") });
  },
  { admin: true },
);
