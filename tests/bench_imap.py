#!/usr/bin/python3
"""Issue 7 benchmark: a 100,000-message INBOX (BENCH_MESSAGES to change it),
over a pre-authenticated yubin-imapd session (no login stage: this measures
the session; the login's argon2id check is measured by bench_pop3).

Figures: SELECT the first time (UIDs are given out: every file renamed),
SELECT cold and warm, UID FETCH 1:* (FLAGS), FETCH of the headers of the
newest 50, UID SEARCH FROM, FETCH 1:* (ENVELOPE) twice, and the session's
peak resident memory (VmHWM)."""
import imaplib, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yubintest import BUILD, is_root  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "100000"))
BODY = (b"From: Sender %d <s%d@example.com>\nTo: b@example.com\nSubject: bench %d\n"
        b"Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <%d@bench.example>\n\n") + (b"x" * 70 + b"\n") * 12


def fill(md, n):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    cur = os.path.join(md, "cur")
    t = 1700000000
    for i in range(n):
        body = BODY % (i, i, i, i)
        name = "%d.M%06dP4242Q%d.bench.example,S=%d:2,S" % (t + i // 100, i, i, len(body))
        with open(os.path.join(cur, name), "wb") as f:
            f.write(body)


def drop_caches():
    if not is_root():
        return False
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    return True


def timed(label, fn):
    t0 = time.perf_counter()
    r = fn()
    print("%-44s %8.3f s" % (label, time.perf_counter() - t0), flush=True)
    return r


def hwm(m):
    pid = m.process.pid    # the shell imaplib starts; the session is its child unless it exec'd
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
        if kids:
            pid = int(kids[0])
    except OSError:
        pass
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM"):
                return line.split(":")[1].strip()
    return "?"


def session(md):
    os.environ["MAILDIR"] = md
    return imaplib.IMAP4_stream(os.path.join(BUILD, "yubin-imapd"))


def main():
    d = tempfile.mkdtemp(prefix="yubin-bench-imap-")
    md = os.path.join(d, "Maildir")
    try:
        timed("fill %d messages" % MESSAGES, lambda: fill(md, MESSAGES))
        m = session(md)
        timed("SELECT, first time (UIDs given out)", lambda: m.select("INBOX"))
        m.logout()
        if drop_caches():
            m = session(md)
            timed("SELECT cold", lambda: m.select("INBOX"))
            m.logout()
        m = session(md)
        timed("SELECT warm", lambda: m.select("INBOX"))
        timed("UID FETCH 1:* (FLAGS)", lambda: m.uid("FETCH", "1:*", "(FLAGS)"))
        timed("FETCH newest 50 headers", lambda: m.fetch("%d:*" % max(1, MESSAGES - 49),
                                                          "(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])"))
        timed("UID SEARCH FROM", lambda: m.uid("SEARCH", "FROM", '"s99@example.com"'))
        if drop_caches():
            timed("FETCH 1:* (ENVELOPE) cold", lambda: m.fetch("1:*", "(ENVELOPE)"))
        timed("FETCH 1:* (ENVELOPE)", lambda: m.fetch("1:*", "(ENVELOPE)"))
        timed("FETCH 1:* (ENVELOPE) again", lambda: m.fetch("1:*", "(ENVELOPE)"))
        print("%-44s %8s" % ("session resident memory (VmHWM)", hwm(m)), flush=True)
        m.logout()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
