#!/usr/bin/python3
"""Runs every test of the project and ends with one line: N passed, N failed, N skipped.

  C unit tests     BUILD/test/*      (each prints "N passed, N failed")
  fuzz smoke runs  FUZZ/fuzz/*       (libFuzzer, a few seconds each, corpus in tests/corpus/NAME)
  integration      tests/test_*.py   (unittest modules; real daemons under s6, real clients)
"""
import argparse, os, re, subprocess, sys, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def run_c_tests(build, counts):
    d = os.path.join(build, "test")
    if not os.path.isdir(d):
        return
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if not os.access(path, os.X_OK):
            continue
        t0 = time.time()
        p = subprocess.run([path], cwd=TOP, capture_output=True, text=True, timeout=600)
        m = re.search(r"(\d+) passed, (\d+) failed", p.stdout)
        if not m:
            counts["failed"] += 1
            print(f"FAIL {name}: no result line (exit {p.returncode})\n{p.stdout}{p.stderr}")
            continue
        ok, bad = int(m.group(1)), int(m.group(2))
        if p.returncode != 0 and bad == 0:
            bad = 1
        counts["passed"] += ok
        counts["failed"] += bad
        status = "ok  " if bad == 0 else "FAIL"
        print(f"{status} {name}: {ok} passed, {bad} failed ({time.time()-t0:.1f}s)")
        if bad:
            print(p.stderr[-4000:])


def run_fuzzers(fuzz, seconds, counts):
    d = os.path.join(fuzz, "fuzz")
    if not os.path.isdir(d):
        return
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if not os.access(path, os.X_OK) or not os.path.isfile(path):
            continue
        seeds = os.path.join(HERE, "corpus", name)
        work = os.path.join(fuzz, "corpus", name)
        os.makedirs(work, exist_ok=True)
        args = [path, f"-max_total_time={seconds}", "-max_len=4096", "-print_final_stats=0",
                "-artifact_prefix=" + os.path.join(fuzz, name + "-"), work]
        if os.path.isdir(seeds):
            args.append(seeds)
        p = subprocess.run(args, cwd=TOP, capture_output=True, text=True, timeout=seconds * 4 + 120)
        if p.returncode == 0:
            counts["passed"] += 1
            print(f"ok   fuzz {name} ({seconds}s)")
        else:
            counts["failed"] += 1
            print(f"FAIL fuzz {name}\n{p.stderr[-4000:]}")


class CountingResult(unittest.TextTestResult):
    pass


def run_integration(build, counts, pattern):
    os.environ["YUBIN_BUILD"] = os.path.abspath(build)
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0")
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult)
    res = runner.run(suite)
    bad = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    counts["failed"] += bad
    counts["skipped"] += skipped
    counts["passed"] += res.testsRun - bad - skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/san")
    ap.add_argument("--fuzz", default="build/fuzz")
    ap.add_argument("--fuzz-seconds", type=int, default=5)
    ap.add_argument("--only", choices=["unit", "fuzz", "integration"])
    ap.add_argument("--pattern", default="test_*.py")
    a = ap.parse_args()
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if a.only in (None, "unit"):
        run_c_tests(a.build, counts)
    if a.only in (None, "fuzz"):
        run_fuzzers(a.fuzz, a.fuzz_seconds, counts)
    if a.only in (None, "integration"):
        run_integration(a.build, counts, a.pattern)
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    sys.exit(1 if counts["failed"] else 0)


if __name__ == "__main__":
    main()
