#!/usr/bin/env python3
"""bench/timed.py NAME -- COMMAND...: runs a training job as a user would and prints what bench/compare tabulates.

COMMAND's output passes through unchanged; after it exits, RESULT lines for NAME follow (the same form as the
benchmarks' own, "RESULT job NAME key=value", which bench/compare re-tags per side):

    wall_seconds            from starting COMMAND to its exit: interpreter or JVM start, imports, data, training,
                            evaluation and writing the results, everything the user waits for
    first_epoch_seconds     the first and last epochs' training time, from the progress lines "Epoch k/N - s/s -
    last_epoch_seconds      1.4s 0.72ms/step ..." that Kiln and bench/torch_job.py both print (ms/step x steps, so
                            not rounded to 0.1 s): their difference is what warm-up costs
    test_accuracy_pct       from the line "Test accuracy: 0.8773"
    peak_rss_mb             the largest resident set of COMMAND's processes (getrusage of the children)

Exits with COMMAND's status; a job that prints no epoch or test line gets no RESULT for it.
"""
import re
import resource
import subprocess
import sys
import time

EPOCH = re.compile(r"^Epoch (\d+)/\d+ - \d+/(\d+) - [\d.]+s ([\d.]+)ms/step")
TEST = re.compile(r"^Test accuracy: ([\d.]+)")


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: bench/timed.py NAME -- COMMAND...")
    name, command = sys.argv[1], sys.argv[3:]
    epochs, accuracy = {}, None
    t0 = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as p:
        for line in p.stdout:
            sys.stdout.write(line)
            m = EPOCH.match(line)
            if m:
                epochs[int(m.group(1))] = int(m.group(2)) * float(m.group(3)) / 1e3
            m = TEST.match(line)
            if m:
                accuracy = float(m.group(1))
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(p.returncode)
    print(f"RESULT job {name} wall_seconds={wall:.3f}")
    if epochs:
        print(f"RESULT job {name} first_epoch_seconds={epochs[min(epochs)]:.3f}")
        print(f"RESULT job {name} last_epoch_seconds={epochs[max(epochs)]:.3f}")
    if accuracy is not None:
        print(f"RESULT job {name} test_accuracy_pct={accuracy * 100:.2f}")
    # ru_maxrss is in KB on Linux: the largest of the waited-for children, here the JVM or the interpreter.
    print(f"RESULT job {name} peak_rss_mb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    main()
