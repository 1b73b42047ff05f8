"""Helpers for the IMAP client tests (test_imap_clients.py, test_imap_hostile.py):
one instance made by yubin-setup with a TLS certificate, accounts made with
`yubinctl account add`, imaplib sessions over STARTTLS (imap) and implicit
TLS (imaps), and a raw command helper that returns every response line
(literals inline) as a client library sees them."""
import imaplib, os, re, ssl, time

from yubintest import Instance
from test_pop3 import make_cert


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def start_instance():
    inst = Instance(start=False).__enter__()
    pem = inst.path("control", "tls", "default.pem")
    if not os.path.exists(pem):
        os.makedirs(os.path.dirname(pem), exist_ok=True)
        make_cert(pem, "imap.example")
    inst.start()
    return inst


_seq = [0]


def new_account(inst, prefix="u", domain="clients.example"):
    _seq[0] += 1
    addr = "%s%d-%d@%s" % (prefix, os.getpid() % 1000, _seq[0], domain)
    pw = "pw-" + "z" * 12 + str(_seq[0])
    inst.add_account(addr, pw)
    return addr, pw


def imap_port(inst):
    return 2143 + inst.port_offset


def imaps_port(inst):
    return 2993 + inst.port_offset


def starttls_session(inst, addr=None, pw=None):
    m = imaplib.IMAP4("127.0.0.1", imap_port(inst), timeout=60)
    m.starttls(ctx())
    if addr:
        typ, _ = m.login(addr, pw)
        assert typ == "OK"
    return m


def tls_session(inst, addr=None, pw=None):
    m = imaplib.IMAP4_SSL("127.0.0.1", imaps_port(inst), ssl_context=ctx(), timeout=60)
    if addr:
        typ, _ = m.login(addr, pw)
        assert typ == "OK"
    return m


def read_response(m):
    """One response (a line, with any literals joined in) from imaplib's stream."""
    out = b""
    while True:
        line = m.readline()
        if not line:
            raise EOFError("connection closed; so far: %r" % out[-300:])
        out += line
        mo = re.search(rb"\{(\d+)\}\r\n$", line)
        if not mo:
            return out
        out += m.read(int(mo.group(1)))


def raw(m, command, timeout=60):
    """Sends `tag command` and returns (tagged line, [untagged responses])."""
    if isinstance(command, str):
        command = command.encode()
    tag = m._new_tag()
    m.send(tag + b" " + command + b"\r\n")
    untagged = []
    deadline = time.time() + timeout
    while True:
        r = read_response(m)
        if r.startswith(tag + b" "):
            return r.rstrip(b"\r\n"), untagged
        untagged.append(r)
        if time.time() > deadline:
            raise AssertionError("no tagged answer to %r" % command[:80])


def caps(m):
    typ, data = m.capability()
    return data[0].decode().upper().split()


def deliver(inst, addr, message):
    inst.sendmail(["-f", "sender@example.org", addr], message)


def wait_count(inst, addr, count, folder="Maildir"):
    local, dom = addr.split("@")
    return inst.wait_maildir(dom, local, count, folder=folder)


def san_errors(inst):
    """Sanitizer reports in the IMAP services' logs."""
    out = []
    for name in ("imapd", "imapsd"):
        log = inst.log(name)
        for needle in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer", "result=signal"):
            if needle in log:
                i = log.index(needle)
                out.append("%s: %s" % (name, log[max(0, i - 200):i + 1500]))
    return out
