#!/usr/bin/python3
"""make bench: yubin-smtpd throughput and memory.

Load generator: Postfix's smtp-source, taken from Debian's postfix package
without installing it (apt-get download postfix; dpkg-deb -x into
build/bench/postfix).  2,000 messages of 4 KiB over 1, 10 and 50 concurrent
sessions (smtp-source -d: each session sends its share over one connection).

With a complete instance (yubin-setup, yubin-queue, yubin-send, yubin-local
built) the figure is messages per second accepted over SMTP AND delivered into
the Maildir, with the real queue (fsync of files and directories on every
commit).  Without one, it measures acceptance only, into a stand-in injector
that discards the message, and says so.

Also: the resident memory (VmRSS, VmHWM) of one yubin-smtpd process in the
middle of a session.  control/greetdelay is 0 for the benchmark (the pause
before the greeting is a per-connection cost, not a per-message one).
"""
import glob, os, shutil, smtplib, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BUILD = os.environ.get("YUBIN_BUILD") or os.path.join(TOP, "build")
os.environ["YUBIN_BUILD"] = BUILD
sys.path.insert(0, HERE)

from test_smtpd import SmtpdRig, full_instance_available  # noqa: E402

MESSAGES = 2000
SIZE = 4096
SESSIONS = (1, 10, 50)


def smtp_source():
    bench = os.path.join(BUILD, "bench", "postfix")
    exe = os.path.join(bench, "usr", "sbin", "smtp-source")
    if not os.path.exists(exe):
        os.makedirs(bench, exist_ok=True)
        p = subprocess.run(["apt-get", "download", "postfix"], cwd=os.path.dirname(bench),
                           capture_output=True, text=True)
        debs = sorted(glob.glob(os.path.join(os.path.dirname(bench), "postfix_*.deb")))
        if not debs:
            print("bench smtpd: cannot download postfix for smtp-source:", p.stderr.strip()[-300:])
            return None
        subprocess.run(["dpkg-deb", "-x", debs[-1], bench], check=True)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(bench, "usr", "lib", "postfix"))
    return exe, env


def run_source(src, port, sessions, rcpt):
    exe, env = src
    per = MESSAGES
    t0 = time.time()
    p = subprocess.run([exe, "-d", "-s", str(sessions), "-m", str(per), "-l", str(SIZE),
                        "-M", "client.bench.test", "-f", "bench@client.bench.test", "-t", rcpt,
                        f"127.0.0.1:{port}"], env=env, capture_output=True, text=True, timeout=1200)
    return time.time() - t0, p


def rss_of_session(port, tcpd_pid):
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.bench.test", timeout=30)
    s.ehlo()
    s.mail("bench@client.bench.test")
    time.sleep(0.2)
    kids = subprocess.run(["pgrep", "-P", str(tcpd_pid)], capture_output=True, text=True).stdout.split()
    out = "no smtpd process found"
    for k in kids:
        try:
            with open(f"/proc/{k}/status") as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
            out = f"VmRSS {st['VmRSS'].strip()}, VmHWM {st['VmHWM'].strip()}"
        except OSError:
            pass
    s.quit()
    return out


def bench_full(src):
    from yubintest import Instance
    print(f"smtpd: {MESSAGES} messages of {SIZE} octets, accepted over SMTP and delivered to Maildir "
          f"(real yubin-queue, yubin-send, yubin-local)")
    for n in SESSIONS:
        with Instance() as inst:
            inst.control("greetdelay", "0\n")
            inst.control("concurrencyincoming", "100\n")
            inst.control("concurrencyperip", "100\n")
            inst.restart("smtpd")   # yubin-tcpd reads its limits when it starts
            inst.add_account("bench@bench.test")
            port = 2525 + inst.port_offset
            dt, p = run_source(src, port, n, "bench@bench.test")
            if p.returncode != 0:
                print(f"  {n:2d} sessions: smtp-source failed: {p.stderr.strip()[-300:]}")
                continue
            t0 = time.time()
            inst.wait_maildir("bench.test", "bench", MESSAGES, timeout=600)
            total = dt + (time.time() - t0)
            print(f"  {n:2d} sessions: accepted {MESSAGES / dt:7.1f} msg/s, "
                  f"accepted and delivered {MESSAGES / total:7.1f} msg/s ({total:.2f} s)", flush=True)
            if n == SESSIONS[-1]:
                print("  one smtpd in a session:", rss_of_session(port, inst.pid("smtpd")))


def make_queue(rig):
    """The queue directories of doc/queue.md, writable by the session user."""
    for d in ("mess", "intd", "todo"):
        for i in range(256):
            os.makedirs(rig.path("queue", d, "%02x" % i))
    os.makedirs(rig.path("queue", "lock"))
    os.mkfifo(rig.path("queue", "lock", "trigger"))
    for dirpath, dirs, files in os.walk(rig.path("queue")):
        os.chmod(dirpath, 0o777)
    os.chmod(rig.path("queue", "lock", "trigger"), 0o666)


def bench_accept_only(src):
    rig = SmtpdRig(build=BUILD, accounts=["bench@bench.test"],
                   extra_control={"concurrencyincoming": "100\n", "concurrencyperip": "100\n"})
    real = os.path.join(BUILD, "yubin-queue")
    if os.path.exists(real):
        print(f"smtpd: {MESSAGES} messages of {SIZE} octets, accepted and durably queued by the real yubin-queue "
              "(fsync of files and directories); NO DELIVERY: yubin-send/yubin-local/yubin-setup are not built")
        shutil.copy(real, rig.path("bin", "yubin-queue"))
        make_queue(rig)
    else:
        print(f"smtpd: {MESSAGES} messages of {SIZE} octets, ACCEPTANCE ONLY: yubin-queue is not built, "
              "so the queue is a stand-in that reads and discards (no fsync, no delivery)")
        with open(rig.path("bin", "yubin-queue"), "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null && cat <&1 >/dev/null\n")
    try:
        rig.start()
        for n in SESSIONS:
            dt, p = run_source(src, rig.port, n, "bench@bench.test")
            if p.returncode != 0:
                print(f"  {n:2d} sessions: smtp-source failed: {p.stderr.strip()[-300:]}")
                continue
            print(f"  {n:2d} sessions: accepted {MESSAGES / dt:7.1f} msg/s ({dt:.2f} s)", flush=True)
        print("  one smtpd in a session:", rss_of_session(rig.port, rig.proc.pid))
        queued = rig.log().count("result=\"250 queued\"")
        print(f"  smtpd logged {queued} messages queued", end="")
        if os.path.isdir(rig.path("queue")):
            print(f"; {len(glob.glob(rig.path('queue', 'todo', '*', '*')))} in queue/todo", end="")
        print()
    finally:
        rig.cleanup()


def main():
    src = smtp_source()
    if not src:
        return
    if full_instance_available():
        bench_full(src)
    else:
        bench_accept_only(src)


if __name__ == "__main__":
    main()
