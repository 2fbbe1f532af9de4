import { describe, expect, it } from "vitest";
import { CliUsageError, commands, defineCommand, ExitCode, runCli } from "../../lib/cli";
import { fakeIo } from "./fake-io";

describe("eventrail (the dispatcher)", () => {
  it("lists every registered command in --help", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["--help"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    for (const command of commands) expect(io.out()).toMatch(new RegExp(`^  ${command.name} +\\S`, "m"));
  });

  it.each(commands.map((c) => [c.name, c]))(
    "lists %s with the name and summary its module declares, without importing it first",
    async (_name, command) => {
      const loaded = await command.load();
      expect([loaded.name, loaded.summary]).toEqual([command.name, command.summary]);
    },
  );

  it("prints the usage on stderr and exits 2 without a command", async () => {
    const io = fakeIo();
    expect(await runCli([], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain("Usage: eventrail <command>");
  });

  it("names an unknown command and the known ones, on one line, with exit code 2", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["pubish"], io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toBe(
      `eventrail: error: Unknown command "pubish"; expected one of: ${commands.map((c) => c.name).join(", ")}. Run "eventrail --help".\n`,
    );
  });

  it.each(commands.map((c) => [c.name]))(
    "gives %s a --help with usage, options and examples",
    async (name) => {
      // Prepare
      const io = fakeIo();

      // Act
      const code = await runCli([name, "--help"], io);

      // Assess
      expect(code).toBe(ExitCode.ok);
      expect(io.out()).toMatch(new RegExp(`^Usage: eventrail ${name}`));
      expect(io.out()).toContain("--debug");
      expect(io.out()).toMatch(/Examples:\n {2}eventrail /);
    },
  );

  it("rejects an unknown option with the command's name and how to get help", async () => {
    const io = fakeIo();
    expect(await runCli(["catalog", "--colour"], io)).toBe(ExitCode.usage);
    expect(io.err()).toMatch(
      /^eventrail catalog: error: Unknown option '--colour'\. Run "eventrail catalog --help"/,
    );
  });

  it("requires required options, saying what they are for", async () => {
    const io = fakeIo({ stdin: "" });
    expect(await runCli(["publish"], io)).toBe(ExitCode.usage);
    expect(io.err()).toMatch(/--bus is required: The event bus name or ARN\./);
  });

  describe("errors", () => {
    const failing = defineCommand({
      name: "explode",
      summary: "Fails.",
      usage: "",
      options: {},
      examples: ["eventrail explode"],
      run: async () => {
        throw new Error("the disk is full");
      },
    });

    it("prints one line without --debug and exits 1", async () => {
      // Prepare
      const io = fakeIo();

      // Act
      const code = await runCli(["explode"], io, [failing]);

      // Assess
      expect(code).toBe(ExitCode.failure);
      expect(io.err()).toBe("eventrail explode: error: the disk is full\n");
    });

    it("adds the stack trace with --debug", async () => {
      // Prepare
      const io = fakeIo();

      // Act
      const code = await runCli(["explode", "--debug"], io, [failing]);

      // Assess
      expect(code).toBe(ExitCode.failure);
      expect(io.err()).toMatch(
        /^eventrail explode: error: the disk is full\nError: the disk is full\n\s+at /,
      );
    });

    it("types option values from their specs", async () => {
      // Prepare
      let seen: { name: string; loud: boolean } | undefined;
      const command = defineCommand({
        name: "greet",
        summary: "Greets.",
        usage: "--name N [--loud]",
        options: {
          name: { type: "string", required: true, description: "Who." },
          loud: { type: "boolean", description: "Shout." },
        },
        examples: ["eventrail greet --name Ada"],
        run: async (options) => {
          seen = { name: options.name, loud: options.loud };
          return ExitCode.ok;
        },
      });

      // Act
      await command.run(["--name", "Ada"], fakeIo());

      // Assess
      expect(seen).toEqual({ name: "Ada", loud: false });
      await expect(command.run(["--name"], fakeIo())).rejects.toBeInstanceOf(CliUsageError);
    });
  });
});
