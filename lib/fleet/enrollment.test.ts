import { describe, expect, it } from "vitest";
import { sha256 } from "../auth/secrets";
import { createEnrollmentCode, ENROLLMENT_CODE_TTL_MS, EnrollmentError, InMemoryEnrollmentCodeStore, redeemEnrollmentCode } from "./enrollment";

const ADMIN = { id: 1, name: "admin" };

describe("enrollment codes", () => {
  it("expire an hour after they were made", async () => {
    const t0 = Date.now();
    const codes = new InMemoryEnrollmentCodeStore();
    const { code, expiresAt } = await createEnrollmentCode(7, ADMIN, t0, codes);
    expect(expiresAt).toBe(t0 + ENROLLMENT_CODE_TTL_MS);
    const late = await redeemEnrollmentCode(code, "127.0.0.1", t0 + ENROLLMENT_CODE_TTL_MS + 1, codes).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(EnrollmentError);
    expect((late as EnrollmentError).reason).toBe("expired");
    expect((late as EnrollmentError).message).toContain("valid for an hour");
  });

  it("are refused when unknown, whatever their shape", async () => {
    for (const code of ["fde_nope", "fda_an-agent-secret", "", "x".repeat(500)]) {
      await expect(redeemEnrollmentCode(code, "127.0.0.1", Date.now(), new InMemoryEnrollmentCodeStore())).rejects.toMatchObject({ reason: "unknown" });
    }
  });

  it("are claimed once: the second claim of the same code (or a racing one) loses", async () => {
    const store = new InMemoryEnrollmentCodeStore();
    const now = 1_000_000;
    await store.save({ codeHash: sha256("fde_a"), serverId: 3, createdById: 1, createdAt: now, expiresAt: now + 10, usedAt: null });
    const [first, second] = await Promise.all([store.claim(sha256("fde_a"), now + 1), store.claim(sha256("fde_a"), now + 1)]);
    expect([first?.claimed, second?.claimed].sort()).toEqual([false, true]);
    expect((await store.claim(sha256("fde_a"), now + 2))?.code.usedAt).toBe(now + 1);
    expect(await store.claim(sha256("fde_b"), now)).toBeNull();
    await store.prune(now + 11);
    expect(await store.claim(sha256("fde_a"), now + 12)).toBeNull();
  });
});
