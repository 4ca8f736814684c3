import { nextRoute } from "@/lib/http/api";
import { filesCompress } from "@/lib/dialects/mcsm/files";

export const POST = nextRoute(filesCompress);
