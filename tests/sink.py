"""SMTP sinks on loopback for the remote delivery tests (aiosmtpd, Debian's
python3-aiosmtpd; run with /usr/bin/python3).

    with Sink("127.0.0.2", port) as s:          # answers 250 to everything
        ...
        s.messages -> [Received(sender, rcpts, data, tls, auth_user)]

Options: rcpt={"bad@x": "550 5.1.1 no such user"} (per-recipient replies),
rcpt_default, data_reply ("451 4.3.0 try later"), greeting ("421 ..." to
refuse the session), tls=(certfile, keyfile) to offer STARTTLS,
auth={"user": "password"} to require AUTH (PLAIN and LOGIN; allowed without
TLS only with auth_plaintext=True), size=N to announce SIZE N, smtputf8=True,
tls13_only=True to make every TLS handshake with a TLS 1.2 client fail.
A sink counts its sessions and can change its replies between attempts.
"""
import collections, ssl, subprocess, os, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

Received = collections.namedtuple("Received", "sender rcpts data tls auth_user")


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt.get(address, self.sink.rcpt_default)
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        reply = self.sink.data_reply
        if reply.startswith("2"):
            data = envelope.original_content if envelope.original_content is not None else envelope.content
            if isinstance(data, str):
                data = data.encode()
            with self.sink.lock:
                self.sink.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), data,
                                                   session.ssl is not None,
                                                   self.sink.last_user if session.authenticated else None))
        return reply


class _Controller(Controller):
    def __init__(self, sink, **kw):
        self.sink = sink
        super().__init__(_Handler(sink), **kw)

    def factory(self):
        s = self.sink
        kw = dict(hostname="sink.test", ident="yubin test sink", decode_data=False,
                  enable_SMTPUTF8=s.smtputf8, data_size_limit=s.size)
        if s.tls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*s.tls)
            if s.tls13_only:
                ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            kw["tls_context"] = ctx
        if s.auth is not None:
            kw["authenticator"] = s.authenticate
            kw["auth_required"] = True
            kw["auth_require_tls"] = not s.auth_plaintext
        else:
            kw["auth_require_tls"] = False
        smtp = _SinkSMTP(self.handler, **kw)
        smtp.sink = s
        return smtp


class _SinkSMTP(SMTP):
    async def _handle_client(self):
        self.sink.sessions += 1
        if self.sink.greeting:
            await self.push(self.sink.greeting)
            self.transport.close()
            return
        return await super()._handle_client()


class Sink:
    def __init__(self, host, port, rcpt=None, rcpt_default="250 2.1.5 ok", data_reply="250 2.0.0 accepted",
                 greeting=None, tls=None, auth=None, auth_plaintext=False, size=33554432, smtputf8=False,
                 tls13_only=False):
        self.host, self.port = host, port
        self.rcpt = dict(rcpt or {})
        self.rcpt_default = rcpt_default
        self.data_reply = data_reply
        self.greeting = greeting
        self.tls = tls
        self.auth = auth
        self.auth_plaintext = auth_plaintext
        self.size = size
        self.smtputf8 = smtputf8
        self.tls13_only = tls13_only
        self.messages = []
        self.sessions = 0
        self.last_user = None
        self.lock = threading.Lock()
        self.ctl = None

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        user = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        pw = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        if self.auth.get(user) == pw:
            self.last_user = user
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def __enter__(self):
        self.ctl = _Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
        if self.greeting:
            # The controller's readiness check needs a normal greeting.
            g, self.greeting = self.greeting, None
            self.ctl.start()
            self.greeting = g
        else:
            self.ctl.start()
        self.sessions = 0   # not the controller's own readiness check
        return self

    def __exit__(self, *exc):
        self.ctl.stop()


def make_cert(directory, cn="sink.test"):
    """A self-signed certificate and key (openssl); returns (certfile, keyfile)."""
    cert, key = os.path.join(directory, "sink-cert.pem"), os.path.join(directory, "sink-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn,
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key
