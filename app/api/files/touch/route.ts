import { nextRoute } from "@/lib/http/api";
import { filesTouch } from "@/lib/dialects/mcsm/files";

export const POST = nextRoute(filesTouch);
