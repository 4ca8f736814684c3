import { nextRoute } from "@/lib/http/api";
import { filesDelete, filesEdit } from "@/lib/dialects/mcsm/files";

export const PUT = nextRoute(filesEdit);
export const DELETE = nextRoute(filesDelete);
