import { nextRoute } from "@/lib/http/api";
import { filesCopy } from "@/lib/dialects/mcsm/files";

export const POST = nextRoute(filesCopy);
