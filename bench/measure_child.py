"""`python bench/measure_child.py REPORT COMMAND...`: run COMMAND, write its time and peak RSS.

Why a separate, small launcher: on Linux a spawned child's `ru_maxrss` starts at its parent's
memory high-water mark (exec records the old address space's peak), so a command spawned straight
from the benchmark process would inherit the benchmark's own peak (e.g. the Arrow tables of
bulk_write). Spawned from this process, which only imports the standard library, the figure is
the command's own: `wait4` returns the largest resident set of the command and of every
descendant it waited for. Kept free of project imports on purpose.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    report, command = Path(argv[1]), argv[2:]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    report.write_text(json.dumps({
        "seconds": seconds, "peak_rss_bytes": usage.ru_maxrss * 1024, "exit_code": child.returncode,
    }))
    return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
