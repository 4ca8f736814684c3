import { nextRoute } from "@/lib/http/api";
import { filesList } from "@/lib/dialects/mcsm/files";

export const GET = nextRoute(filesList);
