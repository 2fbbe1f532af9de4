#!/usr/bin/env python3
# Adds lockfile entries for platform-specific optional dependencies that the package registry of
# this build environment does not serve (e.g. @biomejs/cli-darwin-arm64): npm install skips them,
# and npm ci then refuses the lockfile as out of sync. Each added entry names its os/cpu/libc, so
# npm ci skips it on other platforms without fetching it. Run after any npm install:
#   python3 .ci/complete-lockfile.py package-lock.json
import json, re, subprocess, sys
path = sys.argv[1]
lock = json.load(open(path))
pk = lock["packages"]
added = []
for key, meta in list(pk.items()):
    for dep, ver in (meta.get("optionalDependencies") or {}).items():
        base = key + "/node_modules/" + dep if key else "node_modules/" + dep
        top = "node_modules/" + dep
        if base in pk or top in pk:
            continue
        m = re.search(r"(android|darwin|linux|win32|freebsd|openbsd|sunos|aix|netbsd)-(arm64|x64|ia32|arm|ppc64|s390x|riscv64|loong64)(-(musl|gnu|msvc))?$", dep)
        if not m:
            print("left alone (not a platform build):", dep); continue
        entry = {"version": ver, "cpu": [m.group(2)], "os": [m.group(1)], "optional": True}
        if meta.get("dev"): entry["dev"] = True
        if m.group(4) in ("musl", "gnu"): entry["libc"] = ["musl" if m.group(4) == "musl" else "glibc"]
        pk[top] = entry
        added.append(dep)
lock["packages"] = dict(sorted(pk.items(), key=lambda kv: (kv[0] != "", kv[0])))
json.dump(lock, open(path, "w"), indent=2)
open(path, "a").write("\n")
print("added", added)
