import { nextRoute } from "@/lib/http/api";
import { userCreate, userDelete, userUpdate, whoAmI } from "@/lib/dialects/mcsm/admin";

export const GET = nextRoute(whoAmI);
export const POST = nextRoute(userCreate);
export const PUT = nextRoute(userUpdate);
export const DELETE = nextRoute(userDelete);
