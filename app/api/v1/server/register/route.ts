import { nextRoute } from "@/lib/http/api";
import { serverRegister } from "@/lib/dialects/nezha/routes";

export const POST = nextRoute(serverRegister);
