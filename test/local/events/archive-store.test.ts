import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { clockWithTime } from "../../../lib/local/clock";
import { ArchiveDamagedError, ArchiveStore } from "../../../lib/local/events/archive-store";
import type { BusEvent } from "../../../lib/local/events/bus-event";
import { busEvent } from "./support/bus-event";

function event(id: string, time: string, extra: Partial<BusEvent> = {}): BusEvent {
  return busEvent({ id, time, ...extra });
}

async function store(
  now = () => Date.parse("2026-11-23T12:00:00Z"),
  retentionDays = 0,
): Promise<ArchiveStore> {
  const directory = await mkdtemp(path.join(tmpdir(), "archive-"));
  const archive = new ArchiveStore({
    name: "all",
    arn: "arn:aws:events:us-east-1:0:archive/all",
    directory,
    retentionDays,
    clock: clockWithTime(now),
  });
  await archive.open();
  return archive;
}

describe("the local archive", () => {
  it("keeps events and returns a time window of them in order", async () => {
    const archive = await store();
    await archive.append([event("a", "2026-11-23T10:00:00Z"), event("b", "2026-11-23T11:00:00Z")]);
    await archive.append([event("c", "2026-11-23T11:30:00Z")]);

    const window = [];
    for await (const archived of archive.between(
      new Date("2026-11-23T10:30:00Z"),
      new Date("2026-11-23T12:00:00Z"),
    )) {
      window.push(archived.event.id);
    }

    expect(window).toEqual(["b", "c"]);
    expect(archive.stats().eventCount).toBe(3);
  });

  it("never keeps a replayed event", async () => {
    const archive = await store();

    const kept = await archive.append([event("r", "2026-11-23T10:00:00Z", { "replay-name": "fix-1" })]);

    expect(kept).toBe(0);
    expect(archive.stats().eventCount).toBe(0);
  });

  it("survives a restart and drops events past retention when it opens", async () => {
    let now = Date.parse("2026-11-23T12:00:00Z");
    const directory = await mkdtemp(path.join(tmpdir(), "archive-"));
    const first = new ArchiveStore({
      name: "all",
      arn: "a",
      directory,
      retentionDays: 1,
      clock: clockWithTime(() => now),
    });
    await first.open();
    await first.append([event("old", "2026-11-23T10:00:00Z")]);
    now += 36 * 3_600_000;
    await first.append([event("new", "2026-11-24T23:00:00Z")]);

    const reopened = new ArchiveStore({
      name: "all",
      arn: "a",
      directory,
      retentionDays: 1,
      clock: clockWithTime(() => now),
    });
    await reopened.open();

    expect(reopened.stats().eventCount).toBe(1);
  });
});

describe("a damaged archive file", () => {
  const line = (id: string) => JSON.stringify({ archivedAt: 1, event: event(id, "2026-03-01T10:00:00Z") });

  async function archiveWith(text: string): Promise<{ directory: string; file: string }> {
    const directory = await mkdtemp(path.join(tmpdir(), "archive-"));
    await writeFile(path.join(directory, "events.ndjson"), text);
    return { directory, file: path.join(directory, "events.ndjson") };
  }

  it("drops a torn last line, reports it with its bytes, and keeps every other event", async () => {
    // Prepare
    const { directory, file } = await archiveWith(`${line("a")}\n${line("b")}\n{"archivedAt":1,"ev`);
    const archive = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });
    const logged: string[] = [];

    // Act
    await archive.open((text) => logged.push(text));

    // Assess
    expect(archive.stats().eventCount).toBe(2);
    expect(logged).toEqual([
      `archive all: dropped a torn last line of ${file} (19 bytes at line 3, a write cut short by a stop; it was never acknowledged)`,
    ]);
    expect((await readFile(file, "utf8")).endsWith("}\n")).toBe(true);
  });

  it("refuses a damaged line in the middle, naming the file, the line and the repair", async () => {
    // Prepare
    const { directory, file } = await archiveWith(`${line("a")}\nnot json\n${line("c")}\n`);
    const archive = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });

    // Act
    const refusal = await archive.open().catch((error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(ArchiveDamagedError);
    expect((refusal as Error).message).toContain(`${file} is damaged at line 2`);
    expect((refusal as Error).message).toContain("Repair: run `eventrail local --repair`");
    expect(refusal).toMatchObject({ file, lineNumber: 2 });
  });

  it("drops a torn last line even when its text is a complete event, so the next append starts a line of its own", async () => {
    // Prepare: the kill came just before the newline.
    const { directory, file } = await archiveWith(`${line("a")}\n${line("b")}`);
    const archive = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });
    const logged: string[] = [];

    // Act
    await archive.open((text) => logged.push(text));
    await archive.append([event("c", "2026-03-01T10:00:00Z")]);
    const reopened = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });
    await reopened.open();

    // Assess
    expect(logged).toEqual([expect.stringContaining(`dropped a torn last line of ${file} (`)]);
    expect(reopened.stats().eventCount).toBe(2);
    expect((await readFile(file, "utf8")).split("\n").map((l) => (l ? JSON.parse(l).event.id : ""))).toEqual([
      "a",
      "c",
      "",
    ]);
  });

  it("names every damaged line by its number in the file, blank lines counted, and changes nothing", async () => {
    // Prepare
    const text = `${line("a")}\n\nnot json\n{"archivedAt":"x"}\n${line("e")}\n`;
    const { directory, file } = await archiveWith(text);
    const archive = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });

    // Act
    const refusal = await archive.open().catch((error: unknown) => error);

    // Assess
    expect((refusal as Error).message).toContain(`${file} is damaged at line 3 (and 1 more: lines 4)`);
    expect(refusal).toMatchObject({ lineNumber: 3, otherLineNumbers: [4] });
    expect(await readFile(file, "utf8")).toBe(text);
  });

  it("repairs on demand: keeps every valid event, reports the damaged lines and keeps the damaged file", async () => {
    // Prepare
    const text = `${line("a")}\nnot json\n${line("c")}\n[]\n${line("e")}\n`;
    const { directory, file } = await archiveWith(text);
    const archive = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });
    const logged: string[] = [];

    // Act
    const recovery = await archive.open((line) => logged.push(line), { repair: true });
    const window = [];
    for await (const archived of archive.between(new Date(0), new Date("2027-01-01T00:00:00Z"))) {
      window.push(archived.event.id);
    }

    // Assess
    expect(recovery).toMatchObject({ damagedLines: [2, 4], droppedTailBytes: 0, expired: 0 });
    expect(await readFile(recovery.damagedCopy as string, "utf8")).toBe(text);
    expect(logged).toEqual([
      expect.stringContaining(`skipped 2 damaged lines of ${file} (lines 2, 4); kept 3 events`),
    ]);
    expect(window).toEqual(["a", "c", "e"]);
    expect(archive.stats().eventCount).toBe(3);
  });

  it("fails a replay that meets a damaged line with the file and the line, not a raw JSON error", async () => {
    // Prepare: damage written after the archive opened.
    const { directory, file } = await archiveWith(`${line("a")}\n`);
    const archive = new ArchiveStore({ name: "all", arn: "arn:archive", directory, retentionDays: 0 });
    await archive.open();
    await writeFile(file, `${line("a")}\nnot json\n${line("c")}\n`);

    // Act
    const read = async () => {
      for await (const _ of archive.between(new Date(0), new Date("2027-01-01T00:00:00Z"))) {
        // read them all
      }
    };

    // Assess
    await expect(read()).rejects.toThrow(`${file} is damaged at line 2`);
  });
});
