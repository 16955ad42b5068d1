#!/usr/bin/env python3
"""Which functions the extra messages of a bench-instructions run cost.

    scripts/lib/callgrind-diff.py SMALL.callgrind LARGE.callgrind [MESSAGES] [--top N] [--inclusive]

Self instructions per function (callgrind_annotate, Swift names demangled when
`swift demangle` is on PATH) in LARGE minus SMALL, divided by MESSAGES (the extra
messages; default 1), largest first.
"""
import re, shutil, subprocess, sys

def profile(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=" + ("yes" if inclusive else "no"), path],
                         capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if m and ":" in m.group(2):
            rows[m.group(2)] = rows.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    return rows

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    top = 40
    if "--top" in sys.argv:
        top = int(sys.argv[sys.argv.index("--top") + 1])
        args.remove(str(top))
    inc = "--inclusive" in sys.argv
    small, large = profile(args[0], inc), profile(args[1], inc)
    n = int(args[2]) if len(args) > 2 else 1
    diff = sorted(((large.get(k, 0) - small.get(k, 0)) / n, k) for k in set(small) | set(large))
    diff.reverse()
    names = [k for _, k in diff[:top]]
    if shutil.which("swift"):
        names = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names),
                               capture_output=True, text=True).stdout.splitlines()
    total = sum(d for d, _ in diff)
    print(f"{total:12,.0f}  total per message")
    for (d, _), name in zip(diff[:top], names):
        print(f"{d:12,.0f}  {name[:160]}")

main()
