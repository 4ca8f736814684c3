import { nextRoute } from "@/lib/http/api";
import { filesDownload } from "@/lib/dialects/mcsm/files";

export const GET = nextRoute(filesDownload);
export const POST = nextRoute(filesDownload);
