import { nextRoute } from "@/lib/http/api";
import { filesMkdir } from "@/lib/dialects/mcsm/files";

export const POST = nextRoute(filesMkdir);
