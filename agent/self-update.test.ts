import { describe, expect, it } from "vitest";
import { manifestUrl, parseManifest } from "./self-update";

const SHA = "a".repeat(64);
const from = new URL("https://panel.example.com/fleet/agent/latest.json");
const manifest = (m: Record<string, unknown>) => JSON.stringify({ version: "0.2.0", url: "fleetdeck-agent-0.2.0.cjs", sha256: SHA, size: 1000, ...m });

describe("self-update manifest", () => {
  it("is read from the panel's address, keeping a path prefix", () => {
    expect(manifestUrl("https://panel.example.com").href).toBe("https://panel.example.com/agent/latest.json");
    expect(manifestUrl("https://panel.example.com/fleet/").href).toBe("https://panel.example.com/fleet/agent/latest.json");
    expect(manifestUrl("wss://panel.example.com:8443/x?y=1").href).toBe("https://panel.example.com:8443/x/agent/latest.json");
    expect(manifestUrl("ws://127.0.0.1:3000").href).toBe("http://127.0.0.1:3000/agent/latest.json");
  });

  it("resolves the bundle beside the manifest", () => {
    const m = parseManifest(manifest({}), from);
    expect(m).toEqual({ version: "0.2.0", url: new URL("https://panel.example.com/fleet/agent/fleetdeck-agent-0.2.0.cjs"), sha256: SHA, size: 1000 });
  });

  it.each([
    ["not JSON", "<html>", /is not JSON/],
    ["no version", manifest({ version: undefined }), /no valid version/],
    ["a version with a path in it", manifest({ version: "0.2.0/../../x" }), /no valid version/],
    ["an upper-case or short checksum", manifest({ sha256: "A".repeat(64) }), /no valid sha256/],
    ["a size of 0", manifest({ size: 0 }), /no valid size/],
    ["a huge size", manifest({ size: 2 ** 40 }), /no valid size/],
    ["a bundle on another host", manifest({ url: "https://evil.example.net/agent.cjs" }), /points outside the panel \(https:\/\/evil\.example\.net\)/],
    ["a bundle over another scheme", manifest({ url: "http://panel.example.com/fleet/agent/x.cjs" }), /points outside the panel/],
  ])("refuses %s", (_name, text, message) => {
    expect(() => parseManifest(text, from)).toThrow(message);
  });
});
