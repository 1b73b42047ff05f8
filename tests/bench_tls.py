#!/usr/bin/python3
"""Issue 5 benchmark: new TLS connections per second through the whole chain
(yubin-tcpd -> yubin-tlsd -> yubin-smtpd on the smtps port: TCP connect, TLS
handshake, the 220 greeting, QUIT) with an ECDSA P-256 and an RSA 2048
certificate; the time to send a 10 MiB message over TLS against plaintext;
the resident memory of yubin-tlsd during a session."""
import os, smtplib, socket, ssl, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yubintest import Instance  # noqa: E402

SECONDS = float(os.environ.get("BENCH_TLS_SECONDS", "5"))
CLIENTS = 8


def make_cert(path, kind):
    key, crt = path + ".key", path + ".crt"
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" else ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-keyout", key, "-out", crt, "-days", "30",
                    "-subj", "/CN=bench.test"], check=True, capture_output=True)
    with open(path, "wb") as out:
        for p in (crt, key):
            out.write(open(p, "rb").read())
            os.unlink(p)
    os.chmod(path, 0o600)


def handshakes(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    count = [0]
    errors = [0]
    stop = time.time() + SECONDS

    def worker():
        while time.time() < stop:
            try:
                one()
                count[0] += 1
            except (OSError, ssl.SSLError):
                errors[0] += 1

    def one():
            with socket.create_connection(("127.0.0.1", port)) as raw:
                with ctx.wrap_socket(raw, server_hostname="bench.test") as s:
                    f = s.makefile("rb")
                    if not f.readline().startswith(b"220"):
                        raise SystemExit("no greeting")
                    s.sendall(b"QUIT\r\n")
                    f.readline()

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors[0]:
        print(f"tls: {errors[0]} connections failed", flush=True)
    return count[0] / (time.time() - t0)


def send_big(inst, tls):
    body = (("y" * 76 + "\r\n") * (10 * 1024 * 1024 // 78)).encode()
    msg = b"From: bench@bench.example\r\nTo: bench@bench.example\r\nSubject: big\r\n\r\n" + body
    # Both to port 25 (smtpd behind yubin-tlsd -s), once with STARTTLS: the
    # same roles and the same path; only the encryption differs.  Timed from
    # MAIL to the 250 after the data.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = smtplib.SMTP("127.0.0.1", 2525 + inst.port_offset, timeout=120)
    s.ehlo()
    if tls:
        s.starttls(context=ctx)
        s.ehlo()
    t0 = time.time()
    s.sendmail("bench@bench.example", ["bench@bench.example"], msg)
    t = time.time() - t0
    s.quit()
    return t


def tlsd_rss(inst):
    """kB of resident memory of each yubin-tlsd of this instance during one idle session."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", 2465 + inst.port_offset))
    s = ctx.wrap_socket(raw, server_hostname="bench.test")
    s.makefile("rb").readline()
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            if exe == inst.path("bin", "yubin-tlsd"):
                vals = {}
                for line in open(f"/proc/{pid}/smaps_rollup"):
                    parts = line.split()
                    if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                        vals[parts[0][:-1]] = int(parts[1])
                out.append((vals.get("Rss", 0), vals.get("Pss", 0),
                            vals.get("Private_Dirty", 0) + vals.get("Private_Clean", 0)))
        except OSError:
            pass
    s.close()
    return out


def main():
    with Instance(start=False) as inst:
        inst.control("databytes", "0\n")
        inst.control("greetdelay", "0\n")   # the pre-greeting wait would dominate
        inst.control("concurrencyperip", "200\n")
        inst.control("concurrencyincoming", "200\n")
        inst.add_account("bench@bench.example", "bench-password")
        pem = inst.path("control", "tls", "default.pem")
        inst.start()
        for kind, label in (("ec", "ECDSA P-256"), ("rsa", "RSA 2048")):
            make_cert(pem, kind)
            rate = handshakes(2465 + inst.port_offset)
            print(f"tls: {rate:.0f} new TLS connections per second through tcpd+tlsd+smtpd, {label} "
                  f"({CLIENTS} clients, {SECONDS:.0f} s)", flush=True)
        make_cert(pem, "ec")
        plain = min(send_big(inst, False) for _ in range(3))
        tls = min(send_big(inst, True) for _ in range(3))
        print(f"tls: a 10 MiB message in {tls:.2f} s over TLS, {plain:.2f} s in plaintext "
              f"({tls / plain:.2f} times)", flush=True)
        rss = tlsd_rss(inst)
        if rss:
            r, p, priv = max(rss)
            print(f"tls: yubin-tlsd memory per connection: {p / 1024:.2f} MB proportional (Pss), "
                  f"{priv / 1024:.2f} MB private, {r / 1024:.2f} MB resident counting shared libc pages")


if __name__ == "__main__":
    main()
