#!/usr/bin/python3
"""SORT, THREAD and decoded SEARCH on a 100,000-message INBOX
(BENCH_MESSAGES to change it), over pre-authenticated yubin-imapd sessions:
the first pass reads every file (and fills the folder's cache) in one
session; the second runs each command in a session of its own, as a client
sees it afterwards, with its time and its peak resident memory (VmHWM,
reset after SELECT; YUBIN_BUILD=build for the optimised programs).  Messages have encoded and plain subjects
with Re:/Fwd: markers, dates spread over a year in several zones, and reply
chains (References) of up to ten messages.  Target: SORT by DATE or
SUBJECT well under a second once the cache is filled; a session's peak
resident memory at most 16 MB."""
import imaplib, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yubintest import BUILD  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "100000"))
TARGET = 1.0
MEM_TARGET_KB = 16 * 1024
ZONES = ("+0000", "-0500", "+0100", "+0900")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def message(i):
    root = i - i % 10
    subject = "topic %d" % (root // 10)
    if i % 10:
        subject = ("Re: " if i % 3 else "Fwd: ") + subject
    if i % 7 == 0:
        subject = "=?UTF-8?Q?%s_=C3=A9t=C3=A9?=" % subject.replace(" ", "_").replace(":", "=3A")
    h = ["From: Sender %d <s%d@example.com>" % (i % 977, i % 977), "To: b@example.com",
         "Subject: " + subject,
         "Date: Mon, %d %s 2026 %02d:%02d:00 %s" % (1 + i % 28, MONTHS[i % 12], i % 24, i % 60, ZONES[i % 4]),
         "Message-ID: <%d@bench.example>" % i]
    if i % 10:
        h.append("References: " + " ".join("<%d@bench.example>" % k for k in range(root, i)))
    return ("\n".join(h) + "\n\n" + "body line\n" * 5).encode()


def fill(md, n):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    for i in range(n):
        body = message(i)
        name = "%d.M%06dP4242Q%d.bench.example,S=%d:2,S" % (1700000000 + i // 100, i, i, len(body))
        with open(os.path.join(md, "cur", name), "wb") as f:
            f.write(body)


def commands():
    return [
        ("SORT (DATE)", lambda m: m.sort("(DATE)", "UTF-8", "ALL"), TARGET),
        ("SORT (SUBJECT)", lambda m: m.sort("(SUBJECT)", "UTF-8", "ALL"), TARGET),
        ("SORT (REVERSE ARRIVAL)", lambda m: m.sort("(REVERSE ARRIVAL)", "UTF-8", "ALL"), None),
        ("SORT (FROM DATE)", lambda m: m.sort("(FROM DATE)", "UTF-8", "ALL"), None),
        ("UID SORT (SUBJECT) UNSEEN", lambda m: m.uid("SORT", "(SUBJECT)", "UTF-8", "UNSEEN"), None),
        ("THREAD REFERENCES", lambda m: m.thread("REFERENCES", "UTF-8", "ALL"), None),
        ("THREAD ORDEREDSUBJECT", lambda m: m.thread("ORDEREDSUBJECT", "UTF-8", "ALL"), None),
        ("SEARCH SUBJECT (decoded, folded)", lambda m: m.search("UTF-8", "SUBJECT", '"ÉTÉ"'.encode()), None),
        ("SEARCH RETURN (COUNT) FROM", lambda m: m._simple_command("SEARCH", "RETURN", "(COUNT)", "FROM", "s5@"),
         None),
    ]


def server_pid(m):
    """The yubin-imapd process of the stream (the shell may have exec'd it or
    run it as a child)."""
    pid = m.process.pid
    for _ in range(50):
        try:
            if os.readlink("/proc/%d/exe" % pid).endswith("yubin-imapd"):
                return pid
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
            if kids:
                pid = int(kids[0])
                continue
        except OSError:
            pass
        time.sleep(0.02)
    return None


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def reset_peak(pid):
    """Makes VmHWM start again from the current resident size."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main():
    imapd = os.path.join(BUILD, "yubin-imapd")
    if not os.path.exists(imapd):
        print("yubin-imapd not built")
        return
    top = tempfile.mkdtemp(prefix="yubin-bench-sort-")
    try:
        md = os.path.join(top, "Maildir")
        t0 = time.perf_counter()
        fill(md, MESSAGES)
        print("%d messages written in %.1f s" % (MESSAGES, time.perf_counter() - t0), flush=True)
        os.environ["MAILDIR"] = md
        # first pass: one session reads every file (and fills the cache)
        m = imaplib.IMAP4_stream(imapd)
        m.select("INBOX")
        for label, fn, target in commands():
            t0 = time.perf_counter()
            typ, _ = fn(m)
            print("%-7s %-36s %8.3f s %s" % ("first", label, time.perf_counter() - t0, typ), flush=True)
        m.logout()
        # second pass: each command in a session of its own, so that its
        # peak resident memory is its own (VmHWM reset after SELECT)
        for label, fn, target in commands():
            m = imaplib.IMAP4_stream(imapd)
            m.select("INBOX")
            pid = server_pid(m)
            base = status_kb(pid, "VmRSS")
            reset = reset_peak(pid)
            t0 = time.perf_counter()
            typ, _ = fn(m)
            dt = time.perf_counter() - t0
            hwm = status_kb(pid, "VmHWM")
            m.logout()
            mark = "" if target is None else ("  (target %.2f s: %s)" % (target, "met" if dt <= target else "MISSED"))
            print("%-7s %-36s %8.3f s %s  peak %5.1f MB (%+5.1f MB over SELECT)%s%s%s" % (
                "second", label, dt, typ, hwm / 1024.0, (hwm - base) / 1024.0, "" if reset else " (since start)",
                "" if hwm <= MEM_TARGET_KB else " OVER 16 MB", mark), flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
