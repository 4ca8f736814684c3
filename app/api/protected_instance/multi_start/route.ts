import { nextRoute } from "@/lib/http/api";
import { multiOpen } from "@/lib/dialects/mcsm/admin";

export const POST = nextRoute(multiOpen);
