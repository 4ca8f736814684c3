import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { folderSize, parseProcStat, parseWho } from "../../agent/usage";
import { parseAptUpgradable, parseUpdateinfoSecurity } from "../../agent/updates";

describe("the agent's parsers for issue 17's values", () => {
  it("reads /proc/<pid>/stat even when the command name holds spaces and parentheses", () => {
    const line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 123456 10000000 789 18446744073709551615";
    expect(parseProcStat(line)).toEqual({ ppid: 1, pgrp: 4242, ticks: 200, startTicks: 123456, rssPages: 789 });
    expect(parseProcStat("garbage")).toBeNull();
  });

  it("lists each logged-in user once, sorted, from `who`", () => {
    const who = "bob      pts/0        2026-12-02 06:00 (10.0.0.2)\nalice    tty1         2026-12-01 09:00\nbob      pts/1        2026-12-02 06:05 (10.0.0.2)\n";
    expect(parseWho(who)).toEqual(["alice", "bob"]);
    expect(parseWho("")).toEqual([]);
  });

  it("marks apt updates offered by a -security suite as security, the rest as normal", () => {
    const out = "Listing...\nopenssl/bookworm-security,bookworm-updates 3.0.15-1 amd64 [upgradable from: 3.0.14-1]\nbase-files/bookworm 12.4+deb12u9 amd64 [upgradable from: 12.4+deb12u8]\n";
    expect(parseAptUpgradable(out).map((u) => [u.name, u.currentVersion, u.newVersion, u.severity])).toEqual([
      ["openssl", "3.0.14-1", "3.0.15-1", "security"],
      ["base-files", "12.4+deb12u8", "12.4+deb12u9", "normal"],
    ]);
  });

  it("takes package names from dnf updateinfo's NEVRAs", () => {
    const out = "FEDORA-2026-abc Important/Sec. openssl-libs-1:3.0.7-27.fc39.x86_64\nFEDORA-2026-def Moderate/Sec.  kernel-core-6.8.9-100.fc39.x86_64\n";
    expect([...parseUpdateinfoSecurity(out)].sort()).toEqual(["kernel-core", "openssl-libs"]);
  });

  it("sizes a folder (hard links once) and gives up past its bound", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fleetdeck-size-"));
    try {
      mkdirSync(path.join(dir, "sub"));
      writeFileSync(path.join(dir, "a"), Buffer.alloc(1000));
      writeFileSync(path.join(dir, "sub/b"), Buffer.alloc(234));
      expect(await folderSize(dir)).toBe(1234);
      expect(await folderSize(dir, 2)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
