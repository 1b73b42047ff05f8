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
import collections, logging, ssl, subprocess, os, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

# Failed handshakes are what some tests provoke; aiosmtpd would print them.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

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


class RawSink:
    """A scripted SMTP server for misbehaving-server tests: a plain-text SMTP
    dialogue whose replies a test overrides per verb.  replies maps a verb
    ("GREETING", "EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "END" for the end
    of data) to the exact bytes to send, or to None to hang up."""
    DEFAULT = {"GREETING": b"220 raw sink ESMTP\r\n", "EHLO": b"250-raw sink\r\n250 PIPELINING\r\n",
               "HELO": b"250 raw sink\r\n", "STARTTLS": b"454 4.7.0 no TLS here\r\n", "MAIL": b"250 2.1.0 ok\r\n",
               "RCPT": b"250 2.1.5 ok\r\n", "DATA": b"354 go ahead\r\n", "END": b"250 2.0.0 accepted\r\n",
               "RSET": b"250 2.0.0 ok\r\n", "QUIT": b"221 2.0.0 bye\r\n"}

    def __init__(self, host, port, **replies):
        import socket
        self.replies = dict(self.DEFAULT, **replies)
        self.sessions = 0
        self.messages = []
        self.commands = []   # every command line received, CRLF removed
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        import socket
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes the accept() so the port is free again
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.sessions += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _send(self, conn, key):
        r = self.replies[key]
        if r is None:
            raise ConnectionError("scripted hang-up")
        conn.sendall(r)

    def _session(self, conn):
        f = conn.makefile("rb")
        try:
            self._send(conn, "GREETING")
            while True:
                line = f.readline()
                if not line:
                    return
                self.commands.append(line.rstrip(b"\r\n"))
                verb = line.split(b" ")[0].strip().upper().decode(errors="replace")
                if verb == "DATA":
                    self._send(conn, "DATA")
                    data = b""
                    while True:
                        l = f.readline()
                        if not l or l == b".\r\n":
                            break
                        data += l
                    self.messages.append(data)
                    self._send(conn, "END")
                elif verb in self.replies:
                    self._send(conn, verb)
                    if verb == "QUIT":
                        return
                else:
                    conn.sendall(b"502 5.5.2 unknown command\r\n")
        except (ConnectionError, OSError):
            pass
        finally:
            f.close()
            conn.close()
