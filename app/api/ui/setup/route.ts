import { z } from "zod";
import { publicUiRoute, uiErrors, uiOk } from "@/lib/http/ui";
import { createFirstAdmin } from "@/lib/users";
import { BodyError } from "@/lib/http/api";

const body = z.object({ username: z.string(), password: z.string() });

/** Creates the first administrator while no user exists; 409 afterwards. */
export const POST = publicUiRoute(async (req) => {
  let input: unknown;
  try {
    input = await req.json();
  } catch (e) {
    return uiErrors.error(e instanceof BodyError && e.tooLarge ? 413 : 400, (e as Error).message);
  }
  const parsed = body.safeParse(input);
  if (!parsed.success) return uiErrors.error(400, "Send {username, password} as JSON");
  const user = await createFirstAdmin(parsed.data, { id: null, name: "setup", ip: req.ip });
  return uiOk({ id: user.id, username: user.username, role: user.role }, 201);
});
