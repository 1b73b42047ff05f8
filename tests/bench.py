#!/usr/bin/python3
"""make bench: runs every tests/bench_*.py against the optimised build and
prints their figures.  Benchmarks never fail `make check` and tests never
depend on timing; a benchmark that cannot run says why and goes on."""
import argparse, glob, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("only", nargs="*", help="names like inject, smtpd")
    a = ap.parse_args()
    env = dict(os.environ, YUBIN_BUILD=os.path.abspath(a.build))
    for path in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        name = os.path.basename(path)[6:-3]
        if a.only and name not in a.only:
            continue
        print(f"== {name}", flush=True)
        p = subprocess.run([sys.executable, path], env=env)
        if p.returncode != 0:
            print(f"== {name}: did not finish (exit {p.returncode})", flush=True)


if __name__ == "__main__":
    main()
