"""A minimal instance for running yubin-local as a black box, as yubin-lspawn
would: the program copied into ROOT/bin, ROOT/accounts/accounts.cdb written
here in the cdb format (doc/accounts.md), ROOT/mail/DOMAIN/ACCOUNT homes."""
import glob, os, pwd, shutil, struct, subprocess, tempfile

BUILD = os.environ.get("YUBIN_BUILD") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "san")


def cdb_hash(key):
    h = 5381
    for c in key:
        h = ((h << 5) + h) & 0xffffffff
        h ^= c
    return h


def cdb_write(path, records):
    """records: list of (key bytes, value bytes)."""
    body = bytearray()
    tables = [[] for _ in range(256)]
    pos = 2048
    for k, v in records:
        tables[cdb_hash(k) & 255].append((cdb_hash(k), pos))
        rec = struct.pack("<II", len(k), len(v)) + k + v
        body += rec
        pos += len(rec)
    header = bytearray()
    tail = bytearray()
    for t in tables:
        n = len(t) * 2
        slots = [(0, 0)] * n
        for h, p in t:
            i = (h >> 8) % n
            while slots[i][1] != 0:
                i = (i + 1) % n
            slots[i] = (h, p)
        header += struct.pack("<II", pos + len(tail), n)
        for h, p in slots:
            tail += struct.pack("<II", h, p)
    with open(path, "wb") as f:
        f.write(bytes(header) + bytes(body) + bytes(tail))


class LocalInstance:
    def __init__(self, run_as=None):
        """run_as: None for the current user, else a user name (needs root)."""
        self.dir = tempfile.mkdtemp(prefix="yubin-local-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.run_as = run_as
        if run_as:
            pw = pwd.getpwnam(run_as)
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        for d in ("bin", "control", "accounts", "mail"):
            os.makedirs(self.path(d), exist_ok=True)
        for prog in ("yubin-local", "yubin-queue"):
            src = os.path.join(BUILD, prog)
            if os.path.exists(src):
                shutil.copy2(src, self.path("bin", prog))
        self.domains = {}
        self.accounts = {}
        self.aliases = {}
        self.control("me", "mx.example.test\n")

    def make_queue(self):
        """The queue directories of doc/queue.md, owned by the delivering user
        (yubin-queue is not setuid in this minimal instance)."""
        for d in ("mess", "intd", "todo"):
            for b in range(256):
                p = self.path("queue", d, "%02x" % b)
                os.makedirs(p, exist_ok=True)
                if os.geteuid() == 0:
                    os.chown(p, self.uid, self.gid)
        os.makedirs(self.path("queue", "lock"), exist_ok=True)

    def queued(self):
        """[(envelope bytes, message bytes)] of every committed message."""
        out = []
        for todo in sorted(glob.glob(self.path("queue", "todo", "*", "*"))):
            b, i = todo.split(os.sep)[-2:]
            with open(todo, "rb") as f, open(self.path("queue", "mess", b, i), "rb") as g:
                out.append((f.read(), g.read()))
        return out

    def close(self):
        if not os.environ.get("YUBIN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def control(self, name, value):
        with open(self.path("control", name), "w") as f:
            f.write(value)

    def add_domain(self, dom, subdomains=False):
        self.domains[dom] = b"s" if subdomains else b""
        self.write_db()

    def add_account(self, name, dom):
        home = self.path("mail", dom, name)
        os.makedirs(home, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(home, self.uid, self.gid)
        os.chmod(home, 0o700)
        self.accounts[f"{name}@{dom}"] = home
        self.write_db()
        return home

    def add_alias(self, address, targets):
        self.aliases[address] = targets
        self.write_db()

    def write_db(self):
        recs = []
        for d, f in self.domains.items():
            recs.append((b"D" + d.encode(), f))
        for a, home in self.accounts.items():
            recs.append((b"A" + a.encode(),
                         f"{self.uid}\0{self.gid}\0{home}\0\0".encode()))
        for a, t in self.aliases.items():
            recs.append((b"L" + a.encode(), b"".join(x.encode() + b"\0" for x in t)))
        cdb_write(self.path("accounts", "accounts.cdb"), recs)

    def write_home_file(self, home, name, text, mode=0o600):
        p = os.path.join(home, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        if os.geteuid() == 0:
            os.chown(p, self.uid, self.gid)
        return p

    def local(self, rcpt, message, sender="sender@example.org", qid="0123456789abcdef",
              home=None, env=None, timeout=60):
        """Runs bin/yubin-local as lspawn does.  Returns (exit code, status line, stderr)."""
        if home is None:
            acct, dom = rcpt.split("@", 1)
            home = self.path("mail", dom.lower(), acct.lower().split("-")[0])
        msgfile = tempfile.TemporaryFile(dir="/tmp")
        msgfile.write(message if isinstance(message, bytes) else message.encode())
        msgfile.seek(0)
        kw = {}
        if self.run_as and os.geteuid() == 0:
            kw = dict(user=self.uid, group=self.gid, extra_groups=[])
        e = {"PATH": "/usr/bin:/bin"}
        e.update({k: v for k, v in os.environ.items() if k.startswith(("ASAN_", "UBSAN_"))})
        if env:
            e.update(env)
        p = subprocess.run([self.path("bin", "yubin-local"), qid, sender, rcpt], stdin=msgfile,
                           capture_output=True, cwd=home, env=e, timeout=timeout, **kw)
        msgfile.close()
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
