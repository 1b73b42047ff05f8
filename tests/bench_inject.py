#!/usr/bin/python3
"""Issue 2 benchmark: messages per second from 20 concurrent sendmail injectors
into one Maildir (2,000 messages of 4 KiB, wall time from the first injection
to the last file in new/), and the median latency of one message (sendmail
start to its file in new/)."""
import os, statistics, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yubintest import Instance  # noqa: E402

TOTAL = int(os.environ.get("BENCH_MESSAGES", "2000"))
WORKERS = 20
BODY = ("x" * 75 + "\n") * 53  # ~4 KiB


def count_new(maildir):
    return len(os.listdir(os.path.join(maildir, "new")))


def main():
    with Instance() as inst:
        inst.add_account("bench@bench.example")
        maildir = os.path.join(inst.home("bench.example", "bench"), "Maildir")
        sendmail = inst.path("bin", "sendmail")
        msg = ("From: a@bench.example\nTo: bench@bench.example\nSubject: bench\n\n" + BODY).encode()

        # Latency first, on a quiet instance.
        lat = []
        for _ in range(50):
            before = count_new(maildir)
            t0 = time.perf_counter()
            subprocess.run([sendmail, "bench@bench.example"], input=msg, check=True)
            while count_new(maildir) == before:
                time.sleep(0.0005)
            lat.append(time.perf_counter() - t0)
        base = count_new(maildir)

        per = TOTAL // WORKERS
        errors = []

        def worker():
            for _ in range(per):
                p = subprocess.run([sendmail, "bench@bench.example"], input=msg)
                if p.returncode:
                    errors.append(p.returncode)

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_inj = time.perf_counter() - t0
        deadline = time.time() + 300
        while count_new(maildir) < base + per * WORKERS and time.time() < deadline:
            time.sleep(0.002)
        t_all = time.perf_counter() - t0
        got = count_new(maildir) - base
        print(f"inject: {got} of {per * WORKERS} messages of 4 KiB by {WORKERS} concurrent sendmails "
              f"in {t_all:.2f} s: {got / t_all:.0f} messages/s delivered to Maildir "
              f"(injection alone {per * WORKERS / t_inj:.0f}/s); errors {len(errors)}")
        print(f"inject: median latency of one message, sendmail to Maildir new/: "
              f"{statistics.median(lat) * 1000:.1f} ms (p90 {sorted(lat)[int(len(lat) * 0.9)] * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
