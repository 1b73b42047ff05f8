#!/usr/bin/python3
"""Issue 7 benchmark: a 100,000-message INBOX (BENCH_MESSAGES to change it)
of an account on an instance made by yubin-setup, read through the real
services: yubin-imap-login (control/plainloopback, loopback) -> yubin-auth
-> yubin-imapd under the account's uid, with imaplib.IMAP4.

Sessions, each a new login:
  1. first: SELECT gives out the UIDs (every file renamed), FETCH 1:*
     (ENVELOPE) reads every file and fills the folder's cache;
  2. cold (page cache dropped, as root): LOGIN, SELECT, FETCH 1:* (ENVELOPE);
  3. warm: LOGIN, SELECT, UID FETCH 1:* (FLAGS), the headers of the newest
     50, UID SEARCH FROM, FETCH 1:* (ENVELOPE) twice, the session's peak
     resident memory (VmHWM);
  4. the same warm figures with a minimal client that only reads up to the
     tagged reply: imaplib's parsing of 100,000 responses costs more than
     the server's answer.
Each figure is printed next to its target from the issue; the LOGIN part
(the password check by yubin-auth) and the SELECT part are shown apart."""
import imaplib, os, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yubintest import Instance, is_root  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "100000"))
BODY = (b"From: Sender %d <s%d@example.com>\nTo: b@example.com\nSubject: bench %d\n"
        b"Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <%d@bench.example>\n\n") + (b"x" * 70 + b"\n") * 12
ADDR, PASSWORD = "bench@imap.example", "bench-pass-123"

TARGETS = {   # issue 7, 2 cores, 100,000 messages
    "login+select warm": 0.13, "uid fetch flags": 0.06, "envelope second session": 1.6,
    "envelope cold": 5.0, "search": 0.14,
}


def fill(md, n, uid, gid):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    cur = os.path.join(md, "cur")
    t = 1700000000
    for i in range(n):
        body = BODY % (i, i, i, i)
        name = "%d.M%06dP4242Q%d.bench.example,S=%d:2,S" % (t + i // 100, i, i, len(body))
        path = os.path.join(cur, name)
        with open(path, "wb") as f:
            f.write(body)
        if uid is not None:
            os.chown(path, uid, gid)


def drop_caches():
    if not is_root():
        return False
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    return True


def show(label, secs, target=None):
    t = "" if target is None else "   target %5.2f s  %s" % (target, "ok" if secs <= target else "OVER")
    print("%-46s %8.3f s%s" % (label, secs, t), flush=True)


def timed(label, fn, target=None):
    t0 = time.perf_counter()
    r = fn()
    show(label, time.perf_counter() - t0, target)
    return r


def session_hwm(home):
    """VmHWM of the yubin-imapd working in home (the one session open)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() != "yubin-imapd":
                    continue
            if os.path.realpath(os.readlink("/proc/%s/cwd" % pid)) != os.path.realpath(home):
                continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM"):
                        return line.split(":")[1].strip()
        except OSError:
            continue
    return "?"


def login(port, label):
    m = imaplib.IMAP4("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    m.login(ADDR, PASSWORD)
    t = time.perf_counter() - t0
    show("%s: LOGIN (password check)" % label, t)
    return m, t


class Raw:
    """Writes a command and reads until its tagged reply: the server's time."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.f = self.s.makefile("rb", buffering=1 << 20)
        self.f.readline()
        self.n = 0

    def cmd(self, text):
        self.n += 1
        tag = b"r%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        while True:
            line = self.f.readline()
            if not line or line.startswith(tag + b" "):
                return line

    def close(self):
        self.cmd("LOGOUT")
        self.s.close()


def main():
    inst = Instance(start=False)
    inst.setup()
    try:
        inst.control("plainloopback", "")
        inst.start()
        inst.add_account(ADDR, PASSWORD)
        home = inst.home("imap.example", "bench")
        md = os.path.join(home, "Maildir")
        os.makedirs(md, exist_ok=True)
        st = os.stat(md)
        uid, gid = (st.st_uid, st.st_gid) if is_root() else (None, None)
        port = 2143 + inst.port_offset
        timed("fill %d messages" % MESSAGES, lambda: fill(md, MESSAGES, uid, gid))

        m, _ = login(port, "first")
        timed("first: SELECT (UIDs given out)", lambda: m.select("INBOX"))
        timed("first: FETCH 1:* (ENVELOPE) (fills the cache)", lambda: m.fetch("1:*", "(ENVELOPE)"))
        m.logout()
        size = os.path.getsize(os.path.join(md, "yubin-imap.cache"))
        print("%-46s %8.1f MB" % ("cache file", size / 1e6), flush=True)

        if drop_caches():
            m, lt = login(port, "cold")
            t0 = time.perf_counter()
            m.select("INBOX")
            st_ = time.perf_counter() - t0
            show("cold: SELECT", st_)
            show("cold: LOGIN + SELECT", lt + st_)
            timed("cold: FETCH 1:* (ENVELOPE)", lambda: m.fetch("1:*", "(ENVELOPE)"), TARGETS["envelope cold"])
            m.logout()
        else:
            print("cold figures skipped: dropping the page cache needs root", flush=True)

        m, lt = login(port, "warm")
        t0 = time.perf_counter()
        m.select("INBOX")
        st_ = time.perf_counter() - t0
        show("warm: SELECT", st_)
        show("warm: LOGIN + SELECT", lt + st_, TARGETS["login+select warm"])
        timed("warm: UID FETCH 1:* (FLAGS), imaplib", lambda: m.uid("FETCH", "1:*", "(FLAGS)"))
        timed("warm: FETCH newest 50 headers", lambda: m.fetch("%d:*" % max(1, MESSAGES - 49),
                                                                "(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])"))
        timed("warm: UID SEARCH FROM, imaplib", lambda: m.uid("SEARCH", "FROM", '"s99@example.com"'),
              TARGETS["search"])
        timed("warm: FETCH 1:* (ENVELOPE), imaplib", lambda: m.fetch("1:*", "(ENVELOPE)"),
              TARGETS["envelope second session"])
        timed("warm: FETCH 1:* (ENVELOPE) again, imaplib", lambda: m.fetch("1:*", "(ENVELOPE)"))
        print("%-46s %8s   target 16 MB" % ("session resident memory (VmHWM)", session_hwm(home)), flush=True)
        m.logout()

        for rnd in (1, 2, 3):
            r = Raw(port)
            t0 = time.perf_counter()
            r.cmd("LOGIN %s %s" % (ADDR, PASSWORD))
            t1 = time.perf_counter()
            r.cmd("SELECT INBOX")
            t2 = time.perf_counter()
            show("raw %d: LOGIN + SELECT (login %.3f, select %.3f)" % (rnd, t1 - t0, t2 - t1), t2 - t0,
                 TARGETS["login+select warm"])
            timed("raw %d: UID FETCH 1:* (FLAGS)" % rnd, lambda: r.cmd("UID FETCH 1:* (FLAGS)"),
                  TARGETS["uid fetch flags"])
            timed("raw %d: UID SEARCH FROM" % rnd, lambda: r.cmd('UID SEARCH FROM "s99@example.com"'),
                  TARGETS["search"])
            timed("raw %d: FETCH 1:* (ENVELOPE)" % rnd, lambda: r.cmd("FETCH 1:* (ENVELOPE)"),
                  TARGETS["envelope second session"])
            print("%-46s %8s   target 16 MB" % ("raw %d: session VmHWM" % rnd, session_hwm(home)), flush=True)
            r.close()
    finally:
        inst.__exit__(None, None, None)


if __name__ == "__main__":
    main()
