import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { PANEL_NODE_FLAGS, supportedPanelFlags } from "./start.mjs";

describe("npm start's node flags", () => {
  it("keeps the memory flags this node knows", () => {
    // The node running the tests is the one npm start runs: every flag must be kept, or the
    // panel's measured memory no longer holds (README, "Performance").
    expect(supportedPanelFlags()).toEqual(PANEL_NODE_FLAGS);
  });

  it("leaves out a V8 flag this node does not know, so that the panel still starts", () => {
    expect(supportedPanelFlags(["--max-semi-space-size=4", "--a-flag-no-v8-has=1"])).toEqual(["--max-semi-space-size=4"]);
  });
});
