#!/usr/bin/python3
"""Issue 6 benchmark: POP3 login plus UIDL on a 100,000-message Maildir, warm
and cold (page cache dropped, when run as root), RETR throughput, and the
resident memory of a session (login stage + yubin-pop3d).

The password hash has the cost yubinctl gives new passwords (lib/pwhash.h:
argon2id, 19 MiB, 2 passes), so the login time includes the real credential
check."""
import os, poplib, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_pop3 import Pop3Server, is_root  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "100000"))
BODY = b"From: a@example.com\nTo: b@example.com\nSubject: bench\n\n" + (b"x" * 70 + b"\n") * 12


def fill(srv, addr, n):
    cur = os.path.join(srv.accounts[addr][2], "Maildir", "cur")
    t = 1700000000
    for i in range(n):
        name = "%d.M%06dP%d_%d.bench.example,S=%d:2,S" % (t + i // 100, i, 4242, i, len(BODY))
        with open(os.path.join(cur, name), "wb") as f:
            f.write(BODY)
        if is_root():
            os.chown(os.path.join(cur, name), srv.uid, srv.gid)


def login_uidl(srv, addr, pw):
    t0 = time.perf_counter()
    p = poplib.POP3("127.0.0.1", srv.port_plain, timeout=120)
    p.user(addr)
    p.pass_(pw)
    t1 = time.perf_counter()
    n = len(p.uidl()[1])
    t2 = time.perf_counter()
    p.quit()
    return t2 - t0, t1 - t0, n


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def session_rss(srv, addr, pw):
    p = poplib.POP3("127.0.0.1", srv.port_plain, timeout=120)
    p.user(addr)
    p.pass_(pw)
    p.stat()
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
        except OSError:
            continue
        if exe.startswith(srv.dir):
            out[os.path.basename(exe)] = rss_kb(int(pid))
    p.quit()
    return out


def drop_caches():
    if not is_root():
        return False
    subprocess.run(["sync"])
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def main():
    srv = Pop3Server()
    try:
        srv.setup()
        srv.control("plainloopback", "")
        srv.start()
        addr, pw = "bench@example.com", "bench-password-1"
        srv.add_account(addr, pw, hashargs=(2, 19 << 20))
        small, spw = "small@example.com", "small-password-1"
        srv.add_account(small, spw, hashargs=(2, 19 << 20))
        t0 = time.perf_counter()
        fill(srv, addr, MESSAGES)
        print("filled %d messages in %.1f s" % (MESSAGES, time.perf_counter() - t0), flush=True)
        for _ in range(20):
            srv.deliver(small, BODY)

        total, login, n = login_uidl(srv, addr, pw)
        print("first session (reads every message once, builds the index): %.2f s, %d UIDs" % (total, n))
        warm = [login_uidl(srv, addr, pw) for _ in range(5)]
        print("login + UIDL, %d messages, warm: %.3f s median (login alone %.3f s)"
              % (n, statistics.median(w[0] for w in warm), statistics.median(w[1] for w in warm)))
        if drop_caches():
            total, login, n = login_uidl(srv, addr, pw)
            print("login + UIDL, %d messages, cold (page cache dropped): %.3f s" % (n, total))
        else:
            print("cold: not measured (needs root to drop the page cache)")

        big = (b"y" * 998 + b"\n") * 20000  # 20 MB
        srv.deliver(small, b"Subject: big\n\n" + big)
        p = poplib.POP3("127.0.0.1", srv.port_plain, timeout=120)
        p.user(small)
        p.pass_(spw)
        last = p.stat()[0]
        t0 = time.perf_counter()
        resp, lines, octets = p.retr(last)
        dt = time.perf_counter() - t0
        p.quit()
        print("RETR of %.1f MB: %.3f s, %.0f MB/s" % (octets / 1e6, dt, octets / 1e6 / dt))

        for who, password, label in ((small, spw, "21 messages"), (addr, pw, "%d messages" % n)):
            r = session_rss(srv, who, password)
            print("resident memory, session on %s: " % label +
                  ", ".join("%s %d KiB" % (k, v) for k, v in sorted(r.items()) if k.startswith("yubin-pop3")))
    finally:
        srv.cleanup()


if __name__ == "__main__":
    main()
