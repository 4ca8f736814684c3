import type { NextAuthOptions } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { db } from "../db";
import { config } from "../env";
import { CLIENT_IP_HEADER } from "../http/api";
import { DUMMY_HASH, verifyPassword } from "./password";
import { loginThrottle } from "./throttle";
import { checkTotp } from "./totp";

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
 * Username + password (+ a TOTP code when the user enabled two-factor). Failures are counted per
 * address and per account; past the limit the password is not even checked.
 */
async function authorize(
  credentials: Record<"username" | "password" | "otp", string> | undefined,
  req: { headers?: unknown },
) {
  const username = (credentials?.username ?? "").trim();
  const password = credentials?.password ?? "";
  const otp = (credentials?.otp ?? "").trim();
  const ipKey = `ip:${headerOf(req, CLIENT_IP_HEADER) || "unknown"}`;
  const userKey = `user:${username.toLowerCase()}`;
  if (loginThrottle.retryAfter(ipKey) > 0 || loginThrottle.retryAfter(userKey) > 0) throw new Error(LOGIN_ERRORS.throttled);
  if (!username || !password || username.length > 64 || password.length > 256) {
    loginThrottle.fail(ipKey);
    throw new Error(LOGIN_ERRORS.invalid);
  }
  const user = await db.user.findUnique({ where: { username } });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok || user.disabled) {
    loginThrottle.fail(ipKey);
    loginThrottle.fail(userKey);
    throw new Error(LOGIN_ERRORS.invalid);
  }
  if (user.totpEnabled && user.totpSecret) {
    if (!otp) throw new Error(LOGIN_ERRORS.otpRequired);
    if (!checkTotp(otp, user.totpSecret)) {
      loginThrottle.fail(ipKey);
      loginThrottle.fail(userKey);
      throw new Error(LOGIN_ERRORS.otpInvalid);
    }
  }
  loginThrottle.reset(userKey);
  return { id: String(user.id), name: user.username, sv: user.sessionVersion };
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
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
      if (user) token.sv = (user as { sv?: number }).sv ?? 0;
      return token;
    },
  },
  // A getter: the configuration is read when next-auth first needs it, not when Next builds.
  get secret() {
    return config().NEXTAUTH_SECRET;
  },
};
