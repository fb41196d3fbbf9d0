#!/usr/bin/python3
"""The verdict on valgrind's reports from `make valgrind`.

    /usr/bin/python3 t/valgrind.py DIR

DIR holds one memcheck report a process (valgrind --log-file=DIR/%p.log),
written while the Test::Nginx suite ran nginx with the module under
valgrind. Every error memcheck reports (an invalid read or write, a jump on
uninitialised memory, a bad free...) fails, wherever it is; a leak fails
when it is definite and our code is in its stack (the module's frames:
ngx_http_mlpredict_*, mlp_*, or the .so itself). nginx's own definite
leaks at exit in single-process mode (ngx_set_environment's copy of the
environment, the cycle's connections) are counted and shown, not failed:
they are nginx's, and a master process frees them by exiting.
Ends with "N passed, N failed".
"""

import os
import re
import sys

OURS = re.compile(r"ngx_http_mlpredict|\bmlp_|ngx_http_mlpredict_module\.so")
START = re.compile(r"^==\d+== (\S.*)$")


def records(text):
    """Each report's records: the lines from a headline to a blank."""
    rec = []
    for line in text.splitlines():
        m = START.match(line)
        if m:
            rec.append(m.group(1))
            continue
        if line.startswith("==") and line.rstrip().endswith("=="):
            if rec:
                yield rec
            rec = []
            continue
        if line.startswith("=="):
            rec.append(line.split("== ", 1)[-1])
    if rec:
        yield rec


def main(argv):
    d = argv[1]
    logs = sorted(f for f in os.listdir(d) if f.endswith(".log"))
    errors, ours, theirs = [], [], 0
    for name in logs:
        with open(os.path.join(d, name), errors="replace") as f:
            text = f.read()
        for rec in records(text):
            head = rec[0]
            if head.startswith("{") or head.startswith("<insert"):
                continue
            if "are definitely lost" in head:
                if any(OURS.search(line) for line in rec):
                    ours.append((name, rec))
                else:
                    theirs += 1
            elif ("lost in loss record" in head
                  or head.startswith("HEAP SUMMARY")
                  or head.startswith("LEAK SUMMARY")):
                continue
            elif re.match(r"(Invalid|Conditional|Use of uninit|Syscall "
                          r"param|Mismatched|Source and destination|"
                          r"Argument|Jump to)", head):
                errors.append((name, rec))
    passed = failed = 0

    def check(ok, what, found):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok      " + what)
        else:
            failed += 1
            print("FAIL    " + what)
            for name, rec in found[:5]:
                print("  %s:\n    %s" % (name, "\n    ".join(rec[:16])))

    check(len(logs) > 0, "valgrind reports to read: %d processes"
          % len(logs), [])
    check(not errors, "no memcheck error in any process (%d)" % len(errors),
          errors)
    check(not ours, "no definite leak through our code (%d)" % len(ours),
          ours)
    print("#       %d definite leaks of nginx's own at exit, not ours"
          % theirs)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
