import { describe, expect, it } from "vitest";
import { buildApiRouter } from "../../lib/dialects/index";
import type { Method } from "../../lib/http/router";
import { EXPECTED_EFFECT } from "./expected-access";

/**
 * Every route of the four tables declares whether it reads or acts (OperationDoc.acts), and the
 * declaration agrees with the hand-written list: what a read-only token may call is decided by
 * meaning, reviewed here, not by HTTP method.
 */
const router = buildApiRouter();
const declared: Record<string, "read" | "act"> = {};
for (const d of router.dialects) {
  for (const route of d.routes) {
    for (const method of Object.keys(route.methods) as Method[]) {
      const doc = route.docs?.[method];
      declared[`${method} ${route.pattern}`] = doc ? (doc.acts ? "act" : "read") : "act";
    }
  }
}

describe("routes declare whether they read or act", () => {
  it("every route has docs (an undocumented one would count as acting)", () => {
    const undocumented = router.dialects.flatMap((d) =>
      d.routes.flatMap((r) => (Object.keys(r.methods) as Method[]).filter((m) => !r.docs?.[m]).map((m) => `${m} ${r.pattern}`)),
    );
    expect(undocumented).toEqual([]);
  });

  it("agrees with the hand-written list in tests/api/expected-access.ts, in both directions", () => {
    expect(Object.keys(declared).filter((k) => !(k in EXPECTED_EFFECT)), "routes missing from EXPECTED_EFFECT").toEqual([]);
    expect(Object.keys(EXPECTED_EFFECT).filter((k) => !(k in declared)), "entries naming no route").toEqual([]);
    const wrong = Object.entries(declared).filter(([k, v]) => EXPECTED_EFFECT[k] !== v).map(([k, v]) => `${k}: declared ${v}, expected ${EXPECTED_EFFECT[k]}`);
    expect(wrong).toEqual([]);
  });

  it("is what the guard is told for a request, trailing slashes and parameters included", () => {
    expect(router.describe("GET", "/api/protected_instance/open")).toEqual({ api: "mcsm", acts: true });
    expect(router.describe("GET", "/agents/abc/history/")).toEqual({ api: "trmm", acts: false });
    expect(router.describe("POST", "/agents/abc/cmd/")).toEqual({ api: "trmm", acts: true });
    expect(router.describe("GET", "/api/v1/server/list")).toEqual({ api: "nezha", acts: false });
    expect(router.describe("GET", "/api/ui/nope")).toEqual({ api: "ui", acts: true });
  });
});
