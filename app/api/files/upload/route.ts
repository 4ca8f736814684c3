import { nextRoute } from "@/lib/http/api";
import { filesUpload } from "@/lib/dialects/mcsm/files";

export const GET = nextRoute(filesUpload);
export const POST = nextRoute(filesUpload);
