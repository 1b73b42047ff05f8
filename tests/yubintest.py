"""Test harness: a real yubin instance under s6 in a temporary directory.

    with Instance() as inst:          # yubin-setup, then s6-svscan service/
        inst.ctl("domain", "add", "example.com")
        inst.ctl("account", "add", "joe@example.com", input="secret\n")
        inst.sendmail(["joe@example.com"], b"Subject: hi\n\nbody\n")
        files = inst.wait_maildir("example.com", "joe", 1)

Everything the instance does stays inside its directory and on loopback; DNS
lookups are turned off (control/resolvers points at a closed loopback port
unless a test starts its own DNS server).
"""
import os, random, shutil, signal, subprocess, tempfile, time, glob, email, email.policy

BUILD = os.environ.get("YUBIN_BUILD") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "san")
PYTHON = "/usr/bin/python3"


def is_root():
    return os.geteuid() == 0


DEMO_PORTS = (2525, 2587, 2465, 2110, 2995, 2143, 2993)


def bin_processes(root):
    """The programs running from ROOT/bin: {name: [(ppid, [uids], pid), ...]}
    (uids: real, effective, saved, file system)."""
    bindir = os.path.join(os.path.realpath(root), "bin")
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{d}/exe")
            with open(f"/proc/{d}/status") as f:
                st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except OSError:
            continue
        if os.path.dirname(exe) == bindir:
            procs.setdefault(os.path.basename(exe), []).append(
                (int(st["PPid"]), [int(x) for x in st["Uid"].split()], int(d)))
    return procs


def instance_pids(root):
    """Every process whose executable or working directory is inside root:
    the services, their s6-supervise and s6-log, and whatever they started
    (a yubin-local left behind by a killed yubin-lspawn).  Never this
    process or its ancestors."""
    root = os.path.realpath(root)
    keep, pid = set(), os.getpid()
    while pid > 1:
        keep.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in keep:
            continue
        for link in ("exe", "cwd"):
            try:
                target = os.readlink(f"/proc/{d}/{link}")
            except OSError:
                continue
            if target.endswith(" (deleted)"):
                target = target[:-len(" (deleted)")]
            if target == root or target.startswith(root + "/"):
                out.append(int(d))
                break
    return out


def kill_instance(root, timeout=10):
    """SIGKILLs every process of the instance at root until none is left."""
    t0 = time.time()
    while True:
        pids = instance_pids(root)
        if not pids:
            return
        if time.time() - t0 > timeout:
            raise AssertionError(f"processes of {root} survive SIGKILL: {pids}")
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)


def free_offset():
    """A port offset (a multiple of 100) whose seven ports are free now."""
    import socket
    for _ in range(200):
        off = random.randrange(100, 600) * 100   # yubin-setup takes offsets up to 60000
        try:
            for p in DEMO_PORTS:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p + off))
            return off
        except OSError:
            continue
    raise AssertionError("no free ports for a test instance")


class Instance:
    def __init__(self, services=None, port_offset=None, start=True, setup_args=()):
        self.dir = tempfile.mkdtemp(prefix="yubin-test-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        os.rmdir(self.dir)  # yubin-setup creates it
        self.port_offset = port_offset if port_offset is not None else free_offset()
        self.services = services
        self.svscan = None
        self.autostart = start
        self.setup_args = list(setup_args)

    # -- life cycle ---------------------------------------------------
    def __enter__(self):
        self.setup()
        if self.autostart:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        if not os.environ.get("YUBIN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def setup(self):
        subprocess.run([os.path.join(BUILD, "yubin-setup"), self.dir,
                        "--port-offset", str(self.port_offset)] + self.setup_args,
                       check=True, capture_output=True)
        # No test ever queries the system's resolver.
        self.control("resolvers", "127.0.0.1:9\n")
        if self.services is not None:
            for name in os.listdir(self.path("service")):
                if name not in self.services and not name.startswith("."):
                    open(self.path("service", name, "down"), "w").close()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self):
        self.svscan = subprocess.Popen(["s6-svscan", self.path("service")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True)
        for name in self.service_names():
            self.wait_up(name)

    def service_names(self):
        out = []
        for name in sorted(os.listdir(self.path("service"))):
            if name.startswith("."):
                continue
            if os.path.exists(self.path("service", name, "down")):
                continue
            out.append(name)
        return out

    def svstat(self, name):
        p = subprocess.run(["s6-svstat", "-o", "up,ready,pid", self.path("service", name)],
                           capture_output=True, text=True)
        return p.stdout.split()

    def wait_up(self, name, timeout=20):
        t0 = time.time()
        notify = os.path.exists(self.path("service", name, "notification-fd"))
        while time.time() - t0 < timeout:
            st = self.svstat(name)
            if st and st[0] == "true" and (not notify or st[1] == "true"):
                return int(st[2])
            time.sleep(0.05)
        raise AssertionError(f"service {name} did not come up: {self.svstat(name)}\n{self.log(name)}")

    def pid(self, name):
        st = self.svstat(name)
        return int(st[2]) if st and st[0] == "true" else None

    def restart(self, name):
        subprocess.run(["s6-svc", "-r", self.path("service", name)], check=True)
        time.sleep(0.2)
        self.wait_up(name)

    def stop(self):
        if self.svscan and self.svscan.poll() is None:
            subprocess.run(["s6-svscanctl", "-t", self.path("service")], capture_output=True)
            try:
                self.svscan.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.svscan.pid, signal.SIGKILL)
                self.svscan.wait()
        self.svscan = None
        # s6-svscan's end does not end every process: a service that would
        # not stop, its s6-log, a child whose parent was killed
        if os.path.isdir(self.dir):
            kill_instance(self.dir)

    # -- configuration -------------------------------------------------
    def control(self, name, value):
        p = self.path("control", name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(value)

    def ctl(self, *args, input=None, check=True):
        p = subprocess.run([self.path("bin", "yubinctl")] + list(args), input=input,
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"yubinctl {' '.join(args)} exited {p.returncode}: {p.stderr}")
        return p

    def add_account(self, address, password="secret-pass-1", *extra):
        dom = address.split("@", 1)[1]
        if self.ctl("domain", "list", check=False).stdout.split().count(dom) == 0:
            self.ctl("domain", "add", dom, check=False)
        return self.ctl("account", "add", address, *extra, input=password + "\n")

    # -- mail ----------------------------------------------------------
    def sendmail(self, args, message, user=None, check=True, env=None):
        cmd = [self.path("bin", "sendmail")] + list(args)
        kw = {}
        if user is not None and is_root():
            import pwd
            pw = pwd.getpwnam(user)
            kw["user"] = pw.pw_uid
            kw["group"] = pw.pw_gid
            kw["extra_groups"] = []
        p = subprocess.run(cmd, input=message if isinstance(message, bytes) else message.encode(),
                           capture_output=True, env=env, cwd="/", **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"sendmail exited {p.returncode}: {p.stderr.decode(errors='replace')}")
        return p

    def home(self, domain, account):
        return self.path("mail", domain, account)

    def maildir_files(self, domain, account, folder="Maildir"):
        base = os.path.join(self.home(domain, account), folder)
        return sorted(glob.glob(os.path.join(base, "new", "*")) + glob.glob(os.path.join(base, "cur", "*")))

    def wait_maildir(self, domain, account, count, timeout=30, folder="Maildir"):
        t0 = time.time()
        while time.time() - t0 < timeout:
            files = self.maildir_files(domain, account, folder)
            if len(files) >= count:
                return files
            time.sleep(0.05)
        raise AssertionError(f"{account}@{domain}: {len(self.maildir_files(domain, account, folder))} "
                             f"messages, wanted {count}\n--- send log:\n{self.log('send')[-3000:]}")

    def read_messages(self, domain, account, folder="Maildir"):
        out = []
        for f in self.maildir_files(domain, account, folder):
            with open(f, "rb") as fh:
                out.append(email.message_from_bytes(fh.read(), policy=email.policy.default))
        return out

    def queue_empty(self):
        return not any(os.listdir(d) for d in glob.glob(self.path("queue", "todo", "*")) +
                       glob.glob(self.path("queue", "mess", "*")))

    def wait_queue_empty(self, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.queue_empty():
                return
            time.sleep(0.05)
        raise AssertionError("queue did not empty\n" + self.log("send")[-3000:])

    def log(self, name):
        try:
            with open(self.path("log", name, "current"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, name, needle, timeout=20):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if needle in self.log(name):
                return
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not in log/{name}:\n{self.log(name)[-3000:]}")
