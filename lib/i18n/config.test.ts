import { describe, expect, it } from "vitest";
import { negotiateLocale } from "./config";

describe("negotiateLocale", () => {
  it("picks Simplified Chinese for any zh tag and English otherwise", () => {
    expect(negotiateLocale("zh-CN,zh;q=0.9,en;q=0.8")).toBe("zh-CN");
    expect(negotiateLocale("en-US,en;q=0.9")).toBe("en");
    expect(negotiateLocale("fr-FR,zh;q=0.5")).toBe("zh-CN");
    expect(negotiateLocale("en;q=0.4,zh-TW;q=0.6")).toBe("zh-CN");
    expect(negotiateLocale("")).toBe("en");
    expect(negotiateLocale(undefined)).toBe("en");
  });
});
