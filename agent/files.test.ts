import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import yazl from "yazl";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_FILE_LIMITS, FileError, InstanceFiles } from "./files";

let base: string;
let root: string;
let files: InstanceFiles;

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), "fd-files-"));
  root = path.join(base, "inst1");
  await fs.mkdir(root);
  await fs.mkdir(path.join(base, "inst10"));
  await fs.writeFile(path.join(base, "inst10", "secret.txt"), "sibling");
  await fs.writeFile(path.join(base, "outside.txt"), "outside");
  files = await InstanceFiles.open(root, { ...DEFAULT_FILE_LIMITS, editBytes: 1024, unzipBytes: 1024 * 1024 });
});
afterEach(() => fs.rm(base, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof FileError) return e.code;
    throw e;
  }
}

function zipOf(entries: Record<string, Buffer | string>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) z.addBuffer(Buffer.from(data), name);
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    z.outputStream.on("data", (c: Buffer) => chunks.push(c));
    z.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

describe("confinement", () => {
  it("refuses every textual escape", async () => {
    for (const bad of ["..", "../outside.txt", "a/../../outside.txt", "C:\\Windows", "c:/x", "\\\\server\\share", "//server/share", "a\\..\\..\\x", "a\u0000b", "new\nline"]) {
      expect(await code(files.readText(bad)), bad).toBe("bad_path");
    }
  });

  it("treats a leading slash as the instance's folder, as MCSManager does", async () => {
    await fs.writeFile(path.join(root, "server.properties"), "motd=hi");
    expect(await files.readText("/server.properties")).toBe("motd=hi");
    expect(await code(files.readText("/etc/passwd"))).toBe("not_found");
  });

  it("refuses symlinks that leave the folder, as parent or as the file, including a sibling sharing the name's start", async () => {
    await fs.symlink(path.join(base, "inst10"), path.join(root, "sib"));
    await fs.symlink(path.join(base, "outside.txt"), path.join(root, "out.txt"));
    await fs.symlink("/", path.join(root, "hostroot"));
    expect(await code(files.readText("sib/secret.txt"))).toBe("bad_path");
    expect(await code(files.readText("out.txt"))).toBe("bad_path");
    expect(await code(files.list("hostroot", 0, 10, ""))).toBe("bad_path");
    expect(await code(files.writeText("sib/new.txt", "x"))).toBe("bad_path");
    expect(await code(files.beginUpload("sib", "x.bin"))).toBe("bad_path");
  });

  it("refuses an inside link to a file (O_NOFOLLOW) only when it leaves; a link inside is followed as a parent", async () => {
    await fs.mkdir(path.join(root, "real"));
    await fs.writeFile(path.join(root, "real", "a.txt"), "A");
    await fs.symlink(path.join(root, "real"), path.join(root, "alias"));
    expect(await files.readText("alias/a.txt")).toBe("A");
  });

  it("catches a symlink swapped in after the check (the fd is checked again)", async () => {
    await fs.mkdir(path.join(root, "dir"));
    await fs.writeFile(path.join(root, "dir", "secret.txt"), "mine");
    const abs = await files.resolve("dir/secret.txt");
    // The attacker swaps the parent folder for a link to the sibling after resolve().
    await fs.rename(path.join(root, "dir"), path.join(root, "dir.old"));
    await fs.symlink(path.join(base, "inst10"), path.join(root, "dir"));
    expect(abs).toBe(path.join(root, "dir", "secret.txt"));
    const opened = (files as unknown as { openChecked(a: string, f: number): Promise<unknown> }).openChecked(abs, fs.constants.O_RDONLY);
    expect(await code(opened)).toBe("bad_path");
    // And the whole read refuses too.
    expect(await code(files.readText("dir/secret.txt"))).toBe("bad_path");
  });
});

describe("operations", () => {
  it("lists like MCSManager: folders first, paged, filtered", async () => {
    await fs.mkdir(path.join(root, "world"));
    await fs.writeFile(path.join(root, "b.txt"), "bb");
    await fs.writeFile(path.join(root, "a ünï.txt"), "a");
    const r = await files.list("/", 0, 2, "");
    expect(r.total).toBe(3);
    expect(r.items.map((i) => [i.name, i.type])).toEqual([["world", 0], ["a ünï.txt", 1]]);
    expect(r.absolutePath).toBe(root);
    expect((await files.list("/", 1, 2, "")).items[0]).toMatchObject({ name: "b.txt", size: 2, type: 1 });
    expect((await files.list("", 0, 10, "B.T")).items.map((i) => i.name)).toEqual(["b.txt"]);
  });

  it("refuses binary and too-large files as text with clear errors", async () => {
    await fs.writeFile(path.join(root, "x.bin"), Buffer.from([0x50, 0x4b, 0, 1, 2]));
    await fs.writeFile(path.join(root, "big.txt"), "x".repeat(2000));
    expect(await code(files.readText("x.bin"))).toBe("binary");
    await expect(files.readText("big.txt")).rejects.toThrow(/over 1024 bytes/);
    expect(await code(files.writeText("big2.txt", "y".repeat(2000)))).toBe("too_large");
  });

  it("concurrent writes each land whole; no temporary files are left", async () => {
    const texts = Array.from({ length: 20 }, (_, i) => String(i).repeat(500));
    await Promise.all(texts.map((t) => files.writeText("cfg.yml", t)));
    const final = await fs.readFile(path.join(root, "cfg.yml"), "utf8");
    expect(texts).toContain(final);
    expect(await fs.readdir(root)).toEqual(["cfg.yml"]);
  });

  it("touch, mkdir, copy, move, delete", async () => {
    await files.mkdir("/plugins");
    await files.touch("/plugins/a.jar");
    await files.copy([["/plugins", "/plugins2"]]);
    await files.move([["/plugins2/a.jar", "/b.jar"]]);
    expect((await fs.readdir(root)).sort()).toEqual(["b.jar", "plugins", "plugins2"]);
    expect(await code(files.move([["/b.jar", "/plugins"]]))).toBe("exists");
    expect(await code(files.copy([["/plugins", "/plugins/inner"]]))).toBe("bad_path");
    expect(await code(files.remove(["/"]))).toBe("bad_path");
    expect(await code(files.remove(["/b.jar", "../outside.txt"]))).toBe("bad_path");
    expect(await fs.readFile(path.join(base, "outside.txt"), "utf8")).toBe("outside");
    await files.remove(["/b.jar", "plugins2"]);
    expect(await fs.readdir(root)).toEqual(["plugins"]);
  });

  it("deleting a link to outside removes the link, not the target", async () => {
    await fs.symlink(path.join(base, "inst10"), path.join(root, "sib"));
    await files.remove(["sib"]);
    expect(await fs.readFile(path.join(base, "inst10", "secret.txt"), "utf8")).toBe("sibling");
  });

  it("an upload cut in the middle leaves nothing under the final name", async () => {
    const up = await files.beginUpload("/", "world.zip");
    await up.write(Buffer.alloc(1000, 1));
    await up.abort();
    expect(await fs.readdir(root)).toEqual([]);
    const ok = await files.beginUpload("/", "wörld\u00e9.zip");
    await ok.write(Buffer.alloc(10, 2));
    expect(await fs.readdir(root)).not.toContain("wörld\u00e9.zip");
    await ok.commit();
    expect(await fs.readdir(root)).toEqual(["wörld\u00e9.zip"]);
    expect(await code(files.beginUpload("/", "a\nb"))).toBe("bad_path");
    expect(await code(files.beginUpload("/", "../x"))).toBe("bad_path");
  });

  it("zips and unzips round trip", async () => {
    await fs.mkdir(path.join(root, "world"));
    await fs.writeFile(path.join(root, "world", "level.dat"), "LEVEL");
    await fs.symlink(path.join(base, "outside.txt"), path.join(root, "world", "leak"));
    await files.zip("/backup.zip", ["/world"]);
    await files.mkdir("/restore");
    await files.unzip("/backup.zip", "/restore");
    expect(await fs.readFile(path.join(root, "restore", "world", "level.dat"), "utf8")).toBe("LEVEL");
    // The link to outside was not packed.
    expect(await fs.readdir(path.join(root, "restore", "world"))).toEqual(["level.dat"]);
  });

  it("refuses zip entries with ../ and a zip bomb, before writing anything", async () => {
    // yazl refuses to write ../ names, so patch the name bytes in a built archive.
    const evil = await zipOf({ "aa/evil.txt": "x" });
    const patched = Buffer.from(evil.toString("latin1").split("aa/evil.txt").join("../evil.tx"), "latin1");
    await fs.writeFile(path.join(root, "evil.zip"), patched);
    expect(["bad_archive", "bad_path"]).toContain(await code(files.unzip("evil.zip", "/")));
    await expect(fs.access(path.join(base, "evil.tx"))).rejects.toThrow();

    await fs.writeFile(path.join(root, "bomb.zip"), await zipOf({ "a.bin": Buffer.alloc(2 * 1024 * 1024), "b.bin": Buffer.alloc(10) }));
    expect(await code(files.unzip("bomb.zip", "/out"))).toBe("too_large");
    expect((await fs.readdir(root)).sort()).toEqual(["bomb.zip", "evil.zip"]);
  });
});
