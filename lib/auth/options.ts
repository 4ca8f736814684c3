import type { NextAuthOptions } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { audit } from "../audit";
import { db } from "../db";
import { config } from "../env";
import { CLIENT_IP_HEADER } from "../http/api";
import { DUMMY_HASH, verifyPassword } from "./password";
import { sameOriginPath } from "./redirect";
import { open } from "./sealed";
import { endSession, SESSION_MAX_AGE_S, startSession } from "./sessions";
import { loginThrottle } from "./throttle";
import { totpStep } from "./totp";

/** Error codes the login page turns into messages (next-auth passes a thrown message through). */
export const LOGIN_ERRORS = {
  invalid: "CredentialsSignin",
  throttled: "Throttled",
  otpRequired: "OtpRequired",
  otpInvalid: "OtpInvalid",
} as const;

function headerOf(req: { headers?: unknown } | undefined, name: string): string {
  const headers = req?.headers;
  if (!headers) return "";
  if (headers instanceof Headers) return headers.get(name) ?? "";
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : (v ?? "");
}

/**
 * Username + password (+ a TOTP code, each usable once, when the user enabled two-factor).
 * Failures are counted per (username, address) and per address (throttle.ts); while a pair must
 * wait, its password is not even checked. The address is the server's (lib/http/address.ts,
 * TRUST_PROXY), never a header the client chose.
 */
async function authorize(credentials: Record<"username" | "password" | "otp", string> | undefined, req: { headers?: unknown }) {
  const username = (credentials?.username ?? "").trim();
  const password = credentials?.password ?? "";
  const otp = (credentials?.otp ?? "").trim();
  const address = headerOf(req, CLIENT_IP_HEADER) || "unknown";
  if (loginThrottle.retryAfter(username, address) > 0) throw new Error(LOGIN_ERRORS.throttled);
  const fail = (code: string): never => {
    loginThrottle.fail(username, address);
    // MCSManager's overview counts failed sign-ins (lib/fleet/records.ts); a write per failure is
    // small beside the password check it follows, and throttled attempts never get here.
    void audit({ action: "auth.login.fail", target: username.slice(0, 64), ip: address }).catch(() => undefined);
    throw new Error(code);
  };
  if (!username || !password || username.length > 64 || password.length > 256) fail(LOGIN_ERRORS.invalid);
  const user = await db.user.findUnique({ where: { username } });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok || user.disabled) return fail(LOGIN_ERRORS.invalid);
  if (user.totpEnabled && user.totpSecret) {
    if (!otp) throw new Error(LOGIN_ERRORS.otpRequired);
    const step = totpStep(otp, open(user.totpSecret));
    if (step === null || step <= user.totpLastStep) fail(LOGIN_ERRORS.otpInvalid);
    // Conditional: of two sign-ins racing with one code, one records the step and the other fails.
    const claimed = await db.user.updateMany({ where: { id: user.id, totpLastStep: { lt: step! } }, data: { totpLastStep: step! } });
    if (claimed.count === 0) fail(LOGIN_ERRORS.otpInvalid);
  }
  loginThrottle.succeed(username, address);
  await audit({ action: "auth.login", actorId: user.id, actorName: user.username, ip: address });
  const sid = await startSession(user.id, address, headerOf(req, "user-agent"));
  return { id: String(user.id), name: user.username, sv: user.sessionVersion, sid };
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
  pages: { signIn: "/login", error: "/login" },
  providers: [
    Credentials({
      name: "Fleetdeck",
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
        otp: { label: "Code", type: "text" },
      },
      authorize,
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.sv = (user as { sv?: number }).sv ?? 0;
        token.sid = (user as { sid?: string }).sid;
      }
      return token;
    },
    redirect({ url, baseUrl }) {
      return new URL(sameOriginPath(url, baseUrl, "/"), baseUrl).toString();
    },
  },
  events: {
    // Signing out ends the session on the server: the cookie, replayed, is refused from now on.
    async signOut({ token }) {
      const sid = (token as { sid?: unknown } | null)?.sid;
      if (typeof sid === "string" && sid) await endSession(sid);
    },
  },
  // A getter: the configuration is read when next-auth first needs it, not when Next builds.
  get secret() {
    return config().NEXTAUTH_SECRET;
  },
};
