import { nextRoute } from "@/lib/http/api";
import { instanceCreate, instanceDelete, instanceGet, instanceUpdate } from "@/lib/dialects/mcsm/routes";

export const GET = nextRoute(instanceGet);
export const POST = nextRoute(instanceCreate);
export const PUT = nextRoute(instanceUpdate);
export const DELETE = nextRoute(instanceDelete);
