#!/usr/bin/env -S npx tsx
import { runCli } from "../lib/cli";

// The AWS SDK warns on every start under Node 20 that its 2027 releases will need Node 22: a note for
// the maintainers (package.json engines), not for every command an operator runs. Set it to "false"
// to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

process.exitCode = await runCli(process.argv.slice(2));
