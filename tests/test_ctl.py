"""yubin-setup and yubinctl as an administrator and a control panel use them:
the instance layout, owners and modes, idempotent set-up, every yubinctl
command (with --json parsed), forwarding limits, concurrent changes, and the
compiled accounts.cdb read back independently."""
import grp, json, os, pwd, shutil, stat, struct, subprocess, tempfile, unittest
from concurrent.futures import ThreadPoolExecutor

from yubintest import BUILD, Instance, is_root

SETUP = os.path.join(BUILD, "yubin-setup")


def cdb_get(path, key):
    """Every value stored under key in a cdb file (D. J. Bernstein's format)."""
    key = key.encode() if isinstance(key, str) else key
    with open(path, "rb") as f:
        data = f.read()
    h = 5381
    for c in key:
        h = ((h * 33) ^ c) & 0xffffffff
    pos, slots = struct.unpack_from("<II", data, (h & 255) * 8)
    out = []
    if slots == 0:
        return out
    start = (h >> 8) % slots
    for i in range(slots):
        hp, rp = struct.unpack_from("<II", data, pos + ((start + i) % slots) * 8)
        if rp == 0:
            break
        if hp == h:
            kl, vl = struct.unpack_from("<II", data, rp)
            if data[rp + 8:rp + 8 + kl] == key:
                out.append(data[rp + 8 + kl:rp + 8 + kl + vl])
    return out


def cdb_valid(path):
    """Walks every record: the file is complete and consistent."""
    with open(path, "rb") as f:
        data = f.read()
    end = min(struct.unpack_from("<I", data, i * 8)[0] for i in range(256))
    pos, n = 2048, 0
    while pos < end:
        kl, vl = struct.unpack_from("<II", data, pos)
        pos += 8 + kl + vl
        n += 1
    return pos == end, n


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def owner(path):
    st = os.lstat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name


class Setup(unittest.TestCase):
    def setUp(self):
        self.inst = Instance(start=False)
        self.inst.setup()
        self.addCleanup(self.inst.__exit__, None, None, None)

    def test_layout(self):
        p = self.inst.path
        for d in ("bin", "control", "accounts", "queue", "mail", "service", "log", "run/pbs", "run/authfail"):
            self.assertTrue(os.path.isdir(p(d)), d)
        for name in os.listdir(BUILD):
            src = os.path.join(BUILD, name)
            if name.startswith("yubin") and os.path.isfile(src) and os.access(src, os.X_OK):
                self.assertTrue(os.path.isfile(p("bin", name)), name)
                self.assertFalse(os.path.islink(p("bin", name)), name)
        self.assertEqual(os.readlink(p("bin", "sendmail")), "yubin-inject")
        self.assertEqual(os.readlink(p("bin", "mailq")), "yubin-inject")
        ctl = {"databytes": "52428800", "concurrencylocal": "10", "concurrencyremote": "20",
               "concurrencyperdomain": "5", "queuelifetime": "604800", "maxforwards": "10",
               "maxrcpt": "100", "doublebounceto": "postmaster", "popbeforesmtp": "10",
               "listen": "127.0.0.1", "locals": "", "rcpthosts": ""}
        for name, value in ctl.items():
            with open(p("control", name)) as f:
                self.assertEqual(f.read().strip(), value, name)
        with open(p("control", "me")) as f:
            self.assertTrue(f.read().strip())
        for name in ("domains", "accounts", "aliases", "extensions", "passwd"):
            self.assertEqual(os.path.getsize(p("accounts", name)), 0)
        self.assertEqual(cdb_valid(p("accounts", "accounts.cdb")), (True, 0))
        self.assertEqual(cdb_valid(p("accounts", "passwd.cdb")), (True, 0))
        for d in ("mess", "intd", "todo", "info", "local", "remote", "bounce"):
            buckets = sorted(os.listdir(p("queue", d)))
            self.assertEqual(buckets, ["%02x" % i for i in range(256)], d)
        self.assertTrue(stat.S_ISFIFO(os.lstat(p("queue", "lock", "trigger")).st_mode))
        # the send service, with placeholders filled in
        with open(p("service", "send", "run")) as f:
            run = f.read()
        self.assertIn(f"exec {self.inst.dir}/bin/yubin-start", run)
        self.assertTrue(os.access(p("service", "send", "run"), os.X_OK))
        with open(p("service", "send", "notification-fd")) as f:
            self.assertEqual(f.read().strip(), "3")
        with open(p("service", "send", "log", "run")) as f:
            logrun = f.read()
        self.assertIn(f"s6-log -b n20 s1000000 T {self.inst.dir}/log/send", logrun)
        self.assertNotIn("@", logrun)
        self.assertEqual("s6-setuidgid yubinlog " in logrun, is_root())
        self.assertTrue(os.path.isdir(p("log", "send")))

    def test_ports_substituted(self):
        # every template other engineers add is picked up; ports follow the offset
        off = self.inst.port_offset
        for name in os.listdir(self.inst.path("service")):
            with open(self.inst.path("service", name, "run")) as f:
                text = f.read()
            self.assertNotIn("@ROOT@", text)
            self.assertNotIn("@PORT_", text)
            if name == "smtpd":
                self.assertIn(str(2525 + off), text)

    @unittest.skipUnless(is_root(), "owners and users need root")
    def test_owners_and_users(self):
        p = self.inst.path
        for u in ("yubind", "yubint", "yubinlog", "yubinv", "yubinq", "yubins", "yubinr"):
            pw = pwd.getpwnam(u)
            self.assertIn(pw.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"), u)
        for u in ("yubinq", "yubins", "yubinr"):
            self.assertEqual(grp.getgrgid(pwd.getpwnam(u).pw_gid).gr_name, "yubin", u)
        for u in ("yubind", "yubint", "yubinlog", "yubinv"):
            self.assertEqual(grp.getgrgid(pwd.getpwnam(u).pw_gid).gr_name, u, u)
        self.assertEqual(owner(p("queue")), ("yubinq", "yubin"))
        self.assertEqual(mode(p("queue")), 0o750)
        for d, who, m in (("mess", "yubinq", 0o2750), ("intd", "yubinq", 0o2700), ("todo", "yubinq", 0o2750),
                          ("info", "yubins", 0o700), ("local", "yubins", 0o700),
                          ("remote", "yubins", 0o700), ("bounce", "yubins", 0o700)):
            self.assertEqual(owner(p("queue", d)), (who, "yubin"), d)
            self.assertEqual(mode(p("queue", d)), m, d)
            self.assertEqual(owner(p("queue", d, "7f")), (who, "yubin"), d)
            self.assertEqual(mode(p("queue", d, "7f")), m, d)
        self.assertEqual(owner(p("queue", "lock", "trigger")), ("yubins", "yubin"))
        self.assertEqual(mode(p("queue", "lock", "trigger")), 0o622)
        self.assertEqual(owner(p("accounts", "passwd")), ("root", "root"))
        self.assertEqual(mode(p("accounts", "passwd")), 0o600)
        self.assertEqual(mode(p("accounts", "passwd.cdb")), 0o600)
        self.assertEqual(mode(p("accounts", "accounts.cdb")), 0o644)
        self.assertEqual(mode(p("accounts", "lock")), 0o600)
        self.assertEqual(owner(p("log", "send"))[0], "yubinlog")
        for d in ("run", "run/pbs", "run/authfail"):
            self.assertEqual(owner(p(d)), ("yubind", "yubind"), d)
            self.assertEqual(mode(p(d)), 0o700, d)
        self.assertEqual(owner(p("bin", "yubinctl")), ("root", "root"))
        self.assertEqual(mode(p("bin", "yubinctl")) & 0o6000, 0, "yubinctl is never setuid")
        if os.path.exists(p("bin", "yubin-queue")):
            self.assertEqual(owner(p("bin", "yubin-queue")), ("yubinq", "yubin"))
            self.assertEqual(mode(p("bin", "yubin-queue")), 0o6711)

    def test_idempotent(self):
        i = self.inst
        i.ctl("domain", "add", "keep.example")
        i.add_account("joe@keep.example")
        i.control("databytes", "1000\n")
        with open(i.path("service", "send", "run"), "w") as f:
            f.write("broken\n")
        os.chmod(i.path("queue", "todo"), 0o777)
        open(i.path("queue", "todo", "00", "leftover"), "w").close()
        before = sorted(os.listdir(i.path("bin")))
        p = subprocess.run([SETUP, i.dir, "--port-offset", str(i.port_offset)], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(i.path("control", "databytes")) as f:
            self.assertEqual(f.read(), "1000\n")
        with open(i.path("service", "send", "run")) as f:
            self.assertIn("yubin-start", f.read())
        self.assertEqual(mode(i.path("queue", "todo")), 0o2750 if is_root() else 0o750)
        self.assertTrue(os.path.exists(i.path("queue", "todo", "00", "leftover")))
        self.assertEqual(sorted(os.listdir(i.path("bin"))), before)
        self.assertIn("joe@keep.example", i.ctl("account", "list").stdout)
        self.assertTrue(os.path.isdir(i.path("mail", "keep.example", "joe", "Maildir", "new")))
        # running the instance's own copy also works
        p = subprocess.run([i.path("bin", "yubin-setup"), i.dir], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_me_option(self):
        p = subprocess.run([SETUP, self.inst.dir, "--me", "mail.example.net"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.inst.path("control", "me")) as f:
            self.assertEqual(f.read(), "mail.example.net\n")


class SetupRefusals(unittest.TestCase):
    def test_foreign_directory(self):
        d = tempfile.mkdtemp(prefix="yubin-foreign-")
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "precious"), "w") as f:
            f.write("data")
        p = subprocess.run([SETUP, d], capture_output=True, text=True)
        self.assertEqual(p.returncode, 100)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("not a yubin instance", p.stderr)
        self.assertEqual(os.listdir(d), ["precious"])
        p = subprocess.run([SETUP, os.path.join(d, "precious")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 100, p.stderr)
        with open(os.path.join(d, "precious")) as f:
            self.assertEqual(f.read(), "data")

    def test_usage(self):
        for args in ([], ["--port-offset"], ["/tmp/x", "--port-offset", "abc"],
                     ["/tmp/x", "--port-offset", "99999"], ["/tmp/x", "--bogus"],
                     ["/tmp/x", "--me", "bad host"]):
            p = subprocess.run([SETUP] + args, capture_output=True, text=True)
            self.assertEqual(p.returncode, 100, args)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, (args, p.stderr))

    @unittest.skipUnless(is_root(), "needs root to switch to an ordinary user")
    def test_non_root_instance(self):
        parent = tempfile.mkdtemp(prefix="yubin-user-")
        self.addCleanup(shutil.rmtree, parent)
        os.chown(parent, 65534, 65534)
        d = os.path.join(parent, "inst")
        p = subprocess.run([SETUP, d, "--port-offset", "4000"], capture_output=True, text=True,
                           user=65534, group=65534, extra_groups=[])
        if p.returncode != 0 and "Permission denied" in p.stderr and BUILD in p.stderr:
            self.skipTest("build directory not readable by nobody")
        self.assertEqual(p.returncode, 0, p.stderr)
        for root, dirs, files in os.walk(d):
            for n in dirs + files:
                st = os.lstat(os.path.join(root, n))
                self.assertEqual(st.st_uid, 65534, os.path.join(root, n))
                self.assertEqual(stat.S_IMODE(st.st_mode) & 0o6000, 0, os.path.join(root, n))
        with open(os.path.join(d, "service", "send", "log", "run")) as f:
            self.assertNotIn("s6-setuidgid", f.read())
        ctl = os.path.join(d, "bin", "yubinctl")
        run = lambda *a, **kw: subprocess.run([ctl] + list(a), capture_output=True, text=True,
                                              user=65534, group=65534, extra_groups=[], **kw)
        self.assertEqual(run("domain", "add", "user.example").returncode, 0)
        r = run("account", "add", "ann@user.example", input="pw\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        home = os.path.join(d, "mail", "user.example", "ann", "Maildir", "new")
        self.assertEqual(os.stat(home).st_uid, 65534)
        acct = json.loads(run("--json", "account", "list").stdout)[0]
        self.assertEqual(acct["uid"], 65534)
        # root on a user's instance keeps the files the user's
        subprocess.run([ctl, "domain", "add", "root.example"], check=True, capture_output=True)
        self.assertEqual(os.stat(os.path.join(d, "accounts", "domains")).st_uid, 65534)
        self.assertEqual(os.stat(os.path.join(d, "accounts", "accounts.cdb")).st_uid, 65534)


class Ctl(unittest.TestCase):
    def setUp(self):
        self.inst = Instance(start=False)
        self.inst.setup()
        self.addCleanup(self.inst.__exit__, None, None, None)

    def ctl(self, *args, input=None):
        return self.inst.ctl(*args, input=input, check=False)

    def j(self, *args, input=None):
        p = self.ctl("--json", *args, input=input)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def refused(self, *args, input=None, code=100):
        p = self.ctl(*args, input=input)
        self.assertEqual(p.returncode, code, (args, p.stdout, p.stderr))
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, (args, p.stderr))
        pj = self.ctl("--json", *args, input=input)
        self.assertEqual(pj.returncode, code)
        self.assertIn("error", json.loads(pj.stdout))
        return p.stderr

    def cdb(self, key):
        return cdb_get(self.inst.path("accounts", "accounts.cdb"), key)

    def test_domains(self):
        self.assertEqual(self.j("domain", "add", "Shop.Example"), {"ok": True})
        self.j("domain", "add", "sub.example", "--subdomains")
        doms = {d["domain"]: d for d in self.j("domain", "list")}
        self.assertEqual(set(doms), {"shop.example", "sub.example"})
        self.assertTrue(doms["sub.example"]["subdomains"])
        self.assertFalse(doms["shop.example"]["subdomains"])
        self.assertEqual(self.ctl("domain", "list").stdout.split(), ["shop.example", "sub.example"])
        self.assertEqual(self.cdb("Dshop.example"), [b""])
        self.assertEqual(self.cdb("Dsub.example"), [b"s"])
        self.refused("domain", "add", "shop.example")
        for bad in ("localhost", "a_b.example", "-x.example", "x..example", "[1.2.3.4]", "a" * 64 + ".example"):
            self.refused("domain", "add", bad)
        self.inst.add_account("joe@shop.example")
        self.assertIn("--force", self.refused("domain", "del", "shop.example"))
        self.j("domain", "del", "shop.example", "--force")
        self.assertEqual(self.cdb("Dshop.example"), [])
        self.assertEqual(self.cdb("Ajoe@shop.example"), [])
        self.j("domain", "del", "sub.example")
        self.assertEqual(self.j("domain", "list"), [])
        self.refused("domain", "del", "sub.example")
        self.refused("domain", "frobnicate")

    def test_accounts(self):
        self.j("domain", "add", "shop.example")
        self.assertEqual(self.j("account", "add", "Anna@shop.example", input="pw-1\n"), {"ok": True})
        accts = self.j("account", "list")
        self.assertEqual([a["address"] for a in accts], ["anna@shop.example"])
        a = accts[0]
        self.assertTrue(a["virtual"])
        self.assertFalse(a["disabled"])
        self.assertEqual(a["home"], self.inst.path("mail", "shop.example", "anna"))
        want_uid = pwd.getpwnam("yubinv").pw_uid if is_root() else os.getuid()
        self.assertEqual(a["uid"], want_uid)
        for d in ("", "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
            path = os.path.join(a["home"], d)
            self.assertEqual(os.stat(path).st_uid, want_uid, d)
            self.assertEqual(mode(path), 0o700, d)
        rec = self.cdb("Aanna@shop.example")[0].split(b"\0")
        self.assertEqual(rec, [str(want_uid).encode(), str(a["gid"]).encode(), a["home"].encode(), b"v", b""])
        # the hash is in passwd(.cdb) only
        pw = cdb_get(self.inst.path("accounts", "passwd.cdb"), "Panna@shop.example")[0]
        self.assertTrue(pw.startswith(b"$argon2id$"), pw)
        with open(self.inst.path("accounts", "accounts.cdb"), "rb") as f:
            self.assertNotIn(b"argon2", f.read())
        self.assertNotIn("pw-1", open(self.inst.path("accounts", "passwd")).read())
        self.j("account", "passwd", "anna@shop.example", input="pw-2\n")
        self.assertNotEqual(cdb_get(self.inst.path("accounts", "passwd.cdb"), "Panna@shop.example")[0], pw)
        self.j("account", "disable", "anna@shop.example")
        self.assertTrue(self.j("account", "list", "shop.example")[0]["disabled"])
        self.assertEqual(self.cdb("Aanna@shop.example")[0].split(b"\0")[3], b"dv")
        self.j("account", "enable", "anna@shop.example")
        self.assertFalse(self.j("account", "list")[0]["disabled"])
        # refusals
        self.refused("account", "add", "anna@shop.example", input="x\n")
        self.refused("account", "add", "bob@shop.example", input="\n")
        self.refused("account", "add", "bob@shop.example", input="")
        self.refused("account", "add", "bob@nowhere.example", input="x\n")
        for bad in ("Bob", "-bob@shop.example", "bo..b@shop.example", "bob-@shop.example",
                    "b b@shop.example", "b+b@shop.example", "a" * 65 + "@shop.example"):
            self.refused("account", "add", bad, input="x\n")
        self.refused("account", "add", "bob@shop.example", "--uid", "no-such-user-here", input="x\n")
        self.refused("account", "passwd", "nobody@shop.example", input="x\n")
        self.refused("account", "list", "nowhere.example")
        # delete, keeping or removing the mail
        self.inst.add_account("bob@shop.example")
        self.j("account", "del", "bob@shop.example", "--keep-mail")
        self.assertTrue(os.path.isdir(self.inst.path("mail", "shop.example", "bob", "Maildir")))
        self.j("account", "del", "anna@shop.example")
        self.assertFalse(os.path.exists(self.inst.path("mail", "shop.example", "anna")))
        self.assertEqual(self.j("account", "list"), [])
        self.assertEqual(self.cdb("Aanna@shop.example"), [])
        self.assertEqual(cdb_get(self.inst.path("accounts", "passwd.cdb"), "Panna@shop.example"), [])
        self.refused("account", "del", "anna@shop.example")

    def auth(self, address, password, challenge=None):
        """yubin-auth check, as a login stage runs it: the record on fd 3."""
        r, w = os.pipe()
        if challenge is None:
            os.write(w, b"PLAIN\0" + address.encode() + b"\0" + password.encode() + b"\0")
        else:
            import hmac
            resp = hmac.new(password.encode(), challenge, "md5").hexdigest().encode()
            os.write(w, b"CRAM-MD5\0" + address.encode() + b"\0" + challenge + b"\0" + resp + b"\0")
        os.close(w)
        try:
            p = subprocess.run([self.inst.path("bin", "yubin-auth"), "check"], capture_output=True,
                               pass_fds=(r,), preexec_fn=lambda: os.dup2(r, 3))
        finally:
            os.close(r)
        return p.returncode, p.stdout

    def test_logins_follow_changes(self):
        if not os.path.exists(self.inst.path("bin", "yubin-auth")):
            self.skipTest("yubin-auth not built")
        self.j("domain", "add", "login.example")
        self.j("account", "add", "kim@login.example", input="first pass phrase\n")
        self.assertEqual(self.auth("kim@login.example", "first pass phrase"), (0, b"kim@login.example\n"))
        self.assertEqual(self.auth("Kim@Login.Example", "first pass phrase")[0], 0)
        self.assertEqual(self.auth("kim@login.example", "wrong")[0], 1)
        self.j("account", "passwd", "kim@login.example", input="second\r\n")
        self.assertEqual(self.auth("kim@login.example", "first pass phrase")[0], 1)
        self.assertEqual(self.auth("kim@login.example", "second")[0], 0)
        self.j("account", "disable", "kim@login.example")
        self.assertEqual(self.auth("kim@login.example", "second")[0], 2)
        self.j("account", "enable", "kim@login.example")
        self.assertEqual(self.auth("kim@login.example", "second")[0], 0)
        self.j("account", "del", "kim@login.example")
        self.assertEqual(self.auth("kim@login.example", "second")[0], 1)
        # CRAM-MD5 only for accounts that asked for it
        ch = b"<1896.697170952@login.example>"
        self.j("account", "add", "cram@login.example", "--cram", input="c r a m\n")
        self.assertTrue(self.j("account", "list")[0]["cram"])
        self.assertEqual(self.auth("cram@login.example", "c r a m", ch)[0], 0)
        self.assertEqual(self.auth("cram@login.example", "c r a m")[0], 0)
        self.assertEqual(self.auth("cram@login.example", "wrong", ch)[0], 1)
        self.j("account", "passwd", "cram@login.example", input="plain only\n")
        self.assertFalse(self.j("account", "list")[0]["cram"])
        self.assertNotEqual(self.auth("cram@login.example", "plain only", ch)[0], 0)
        self.assertEqual(self.auth("cram@login.example", "plain only")[0], 0)
        self.j("account", "add", "nocram@login.example", input="pw\n")
        self.assertNotEqual(self.auth("nocram@login.example", "pw", ch)[0], 0)

    @unittest.skipUnless(is_root(), "--uid needs root")
    def test_account_with_own_uid(self):
        self.j("domain", "add", "host.example")
        self.j("account", "add", "web@host.example", "--uid", "www-data", input="pw\n")
        a = self.j("account", "list")[0]
        self.assertEqual(a["uid"], pwd.getpwnam("www-data").pw_uid)
        self.assertFalse(a["virtual"])
        self.assertEqual(os.stat(os.path.join(a["home"], "Maildir", "new")).st_uid, a["uid"])
        self.refused("account", "add", "r@host.example", "--uid", "root", input="pw\n")

    def test_aliases(self):
        self.j("domain", "add", "shop.example")
        self.inst.add_account("anna@shop.example")
        self.j("alias", "add", "info@shop.example", "anna@shop.example", "Boss@Other.Example")
        self.assertEqual(self.j("alias", "list", "shop.example"),
                         [{"address": "info@shop.example", "targets": ["anna@shop.example", "Boss@other.example"]}])
        self.assertEqual(self.cdb("Linfo@shop.example"), [b"anna@shop.example\0Boss@other.example\0"])
        self.refused("alias", "add", "anna@shop.example", "x@y.example")      # is an account
        self.refused("alias", "add", "sales@shop.example", "sales@shop.example")
        self.refused("alias", "add", "sales@shop.example", "x@[127.0.0.1]")
        self.refused("alias", "add", "sales@nowhere.example", "x@y.example")
        self.refused("alias", "add", "sales@shop.example")
        self.j("alias", "del", "info@shop.example")
        self.assertEqual(self.j("alias", "list"), [])
        self.assertEqual(self.cdb("Linfo@shop.example"), [])
        self.refused("alias", "del", "info@shop.example")

    def test_account_del_leaves_no_alias_behind(self):
        self.j("domain", "add", "shop.example")
        self.inst.add_account("anna@shop.example")
        self.inst.add_account("ben@shop.example")
        self.j("alias", "add", "info@shop.example", "anna@shop.example", "ben@shop.example")
        self.j("alias", "add", "anna2@shop.example", "Anna@shop.example")
        self.j("sender", "add", "anna@shop.example", "anna@other.example")
        self.j("account", "del", "anna@shop.example")
        self.assertEqual(self.j("alias", "list", "shop.example"),
                         [{"address": "info@shop.example", "targets": ["ben@shop.example"]}])
        self.assertEqual(self.cdb("Lanna2@shop.example"), [])
        self.assertEqual(self.cdb("Linfo@shop.example"), [b"ben@shop.example\0"])
        # a new account of the same name starts without the old one's extra senders
        self.inst.add_account("anna@shop.example")
        self.assertEqual(self.j("sender", "list", "anna@shop.example"), [])

    def test_forwards(self):
        self.j("domain", "add", "shop.example")
        self.j("domain", "add", "sub.example", "--subdomains")
        self.inst.add_account("bob@shop.example")
        self.inst.add_account("carl@sub.example")
        home = self.inst.home("shop.example", "bob")
        self.j("forward", "set", "bob-orders@shop.example", "anna@shop.example", "x@y.example")
        path = os.path.join(home, ".yubin-orders")
        with open(path) as f:
            self.assertEqual(f.read(), "&anna@shop.example\n&x@y.example\n")
        self.assertEqual(mode(path), 0o600)
        self.assertEqual(os.stat(path).st_uid, os.stat(home).st_uid)
        with open(self.inst.path("accounts", "extensions")) as f:
            self.assertEqual(f.read(), "bob@shop.example orders\n")
        self.assertEqual(self.cdb(b"Xbob@shop.example\0orders"), [b""])
        shown = self.j("forward", "show", "bob-orders@shop.example")
        self.assertEqual(shown["targets"], ["anna@shop.example", "x@y.example"])
        self.assertEqual(shown["account"], "bob@shop.example")
        self.assertEqual(shown["extension"], "orders")
        self.assertFalse(shown["keep_copy"])
        # the account's own address, keeping a copy
        self.j("forward", "set", "bob@shop.example", "--keep-copy", "anna@shop.example")
        with open(os.path.join(home, ".yubin")) as f:
            self.assertEqual(f.read(), "./Maildir/\n&anna@shop.example\n")
        self.assertTrue(self.j("forward", "show", "bob@shop.example")["keep_copy"])
        # a subdomain address
        self.j("forward", "set", "news@carl.sub.example", "anna@shop.example")
        self.assertTrue(os.path.exists(os.path.join(self.inst.home("sub.example", "carl"), ".yubin-news")))
        # ten is the default limit; the eleventh is refused and nothing is written
        self.j("forward", "set", "bob-ten@shop.example", *[f"t{n}@x.example" for n in range(10)])
        err = self.refused("forward", "set", "bob-many@shop.example", *[f"t{n}@x.example" for n in range(11)])
        self.assertIn("maxforwards", err)
        self.assertFalse(os.path.exists(os.path.join(home, ".yubin-many")))
        self.inst.control("maxforwards", "2\n")
        self.refused("forward", "set", "bob-three@shop.example", "a@x.example", "b@x.example", "c@x.example")
        self.inst.control("maxforwards", "10\n")
        # malformed and self-forwards
        for bad in ("not-an-address", "a@[10.0.0.1]", "a@b@c.example", "a@localhost", "a b@x.example", ""):
            self.refused("forward", "set", "bob-bad@shop.example", bad)
        self.refused("forward", "set", "bob-loop@shop.example", "Bob-Loop@Shop.Example")
        self.refused("forward", "set", "nobody-x@shop.example", "a@x.example")
        self.refused("forward", "set", "bob-x@elsewhere.example", "a@x.example")
        self.refused("forward", "set", "bob-Bad/ext@shop.example", "a@x.example")
        self.assertFalse(os.path.exists(os.path.join(home, ".yubin-bad")))
        # clear removes the file and the extension record
        self.j("forward", "clear", "bob-orders@shop.example")
        self.assertFalse(os.path.exists(path))
        self.assertEqual(self.cdb(b"Xbob@shop.example\0orders"), [])
        self.assertFalse(self.j("forward", "show", "bob-orders@shop.example")["exists"])

    @unittest.skipUnless(is_root(), "needs root: yubinctl writes as the account only when it is root")
    def test_forward_written_as_the_account(self):
        self.j("domain", "add", "shop.example")
        self.inst.add_account("bob@shop.example")
        home = self.inst.home("shop.example", "bob")
        # the account swaps its home for a link to a directory only root may write
        elsewhere = tempfile.mkdtemp(prefix="yubin-test-rootdir-")
        try:
            os.chmod(elsewhere, 0o755)
            os.rename(home, home + ".away")
            os.symlink(elsewhere, home)
            self.refused("forward", "set", "bob-x@shop.example", "a@x.example", code=111)
            self.assertEqual(os.listdir(elsewhere), [])
        finally:
            if os.path.islink(home):
                os.unlink(home)
                os.rename(home + ".away", home)
            shutil.rmtree(elsewhere)
        self.j("forward", "set", "bob-x@shop.example", "a@x.example")
        self.assertEqual(os.stat(os.path.join(home, ".yubin-x")).st_uid, os.stat(home).st_uid)

    def test_rebuild(self):
        self.j("domain", "add", "shop.example")
        self.inst.add_account("bob@shop.example")
        home = self.inst.home("shop.example", "bob")
        for name in (".yubin-sales", ".yubin-list-default"):
            with open(os.path.join(home, name), "w") as f:
                f.write("./Maildir/\n")
        self.assertEqual(self.cdb(b"Xbob@shop.example\0sales"), [])
        self.j("rebuild")
        self.assertEqual(self.cdb(b"Xbob@shop.example\0sales"), [b""])
        self.assertEqual(self.cdb(b"Xbob@shop.example\0list-default"), [b""])
        with open(self.inst.path("accounts", "extensions")) as f:
            self.assertEqual(f.read(), "bob@shop.example list-default\nbob@shop.example sales\n")

    def test_concurrent_adds(self):
        self.j("domain", "add", "many.example")
        names = [f"user{n}@many.example" for n in range(20)]

        def add(addr):
            return self.ctl("account", "add", addr, input="pw\n")
        with ThreadPoolExecutor(max_workers=20) as ex:
            results = list(ex.map(add, names))
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(a["address"] for a in self.j("account", "list")), sorted(names))
        ok, n = cdb_valid(self.inst.path("accounts", "accounts.cdb"))
        self.assertTrue(ok)
        self.assertEqual(n, 21)   # 20 accounts + 1 domain
        for a in names:
            self.assertEqual(len(self.cdb("A" + a)), 1, a)
            self.assertEqual(len(cdb_get(self.inst.path("accounts", "passwd.cdb"), "P" + a)), 1, a)

    def test_queue(self):
        self.assertEqual(self.j("queue", "stat")["messages"], 0)
        self.assertEqual(self.j("queue", "list"), [])
        # a message as yubin-queue leaves it (doc/queue.md)
        qid = "%08x%08x" % (1700000000, 0xabcdef12)
        mess = self.inst.path("queue", "mess", "12", qid)
        with open(mess, "w") as f:
            f.write("Subject: x\n\nbody\n")
        with open(self.inst.path("queue", "todo", "12", qid), "wb") as f:
            f.write(b"u0\0p1\0Fa@b.example\0Tc@d.example\0Te@f.example\0\0")
        # and one yubin-send has taken in (send/README.md, the state files)
        qid2 = "%08x%08x" % (1700000001, 0x000000aa)
        with open(self.inst.path("queue", "mess", "aa", qid2), "w") as f:
            f.write("x\n")
        with open(self.inst.path("queue", "info", "aa", qid2), "wb") as f:
            f.write(b"b1700000001\0u33\0p7\0Fweb@shop.example\0")
        with open(self.inst.path("queue", "local", "aa", qid2), "wb") as f:
            f.write(b"Ddone@shop.example\0Tanna@shop.example\0")
        with open(self.inst.path("queue", "remote", "aa", qid2), "wb") as f:
            f.write(b"Tx@far.example\0")
        st = self.j("queue", "stat")
        self.assertEqual((st["messages"], st["todo"], st["sending"]), (2, 1, 1))
        self.assertEqual(st["bytes"], os.path.getsize(mess) + 2)
        msgs = {m["id"]: m for m in self.j("queue", "list")}
        self.assertEqual(msgs[qid]["sender"], "a@b.example")
        self.assertEqual(msgs[qid]["recipients"], ["c@d.example", "e@f.example"])
        self.assertEqual(msgs[qid]["size"], os.path.getsize(mess))
        self.assertGreater(msgs[qid]["age"], 0)
        self.assertEqual(msgs[qid2]["state"], "sending")
        self.assertEqual(msgs[qid2]["sender"], "web@shop.example")
        self.assertEqual(msgs[qid2]["recipients"], ["anna@shop.example", "x@far.example"])
        self.assertIn(qid, self.ctl("queue", "list").stdout)

    def test_damaged_file_is_not_rewritten(self):
        self.j("domain", "add", "a.example")
        with open(self.inst.path("accounts", "domains"), "a") as f:
            f.write("a.example\n")
        err = self.refused("domain", "add", "b.example", code=111)
        self.assertIn("accounts/domains: malformed line 2", err)
        with open(self.inst.path("accounts", "domains")) as f:
            self.assertEqual(f.read(), "a.example\na.example\n")

    def test_usage(self):
        for args in ([], ["bogus"], ["domain"], ["account", "add"], ["forward", "set", "a@b.example"],
                     ["queue", "purge"], ["--frob", "domain", "list"]):
            self.refused(*args)


if __name__ == "__main__":
    unittest.main()
