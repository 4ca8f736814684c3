import { nextRoute } from "@/lib/http/api";
import { filesMove } from "@/lib/dialects/mcsm/files";

export const PUT = nextRoute(filesMove);
