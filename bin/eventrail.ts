#!/usr/bin/env -S npx tsx
import { runCli } from "../lib/cli";
import { staleBuildProblem } from "../lib/cli/build-freshness";

// The entry of the built command line, dist/cli/eventrail.mjs (package.json bin; scripts/build-cli.mjs
// builds it without this line's shebang). Runnable from the sources too, slowly, through tsx: an npx
// cache made before the bin moved to dist/ still links here. Every command's module is imported when
// it runs.

// The AWS SDK warns on every start under Node 20 that its 2027 releases will need Node 22: a note for
// the maintainers (package.json engines), not for every command an operator runs. Set it to "false"
// to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// `eventrail dlq list | head` closes the pipe before the output ends: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
}

const stale = staleBuildProblem(import.meta.url, process.argv[2]);
if (stale !== undefined) {
  process.stderr.write(`${stale}\n`);
  process.exitCode = 1;
} else {
  process.exitCode = await runCli(process.argv.slice(2));
}
