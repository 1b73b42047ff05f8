#!/usr/bin/python3
"""make bench: remote delivery throughput, from the queue to a local SMTP sink.

2,000 messages of 4 KiB are injected with sendmail while yubin-send is stopped;
then the instance starts and the time until the sink has accepted all of them
is measured: once with every message to one domain, once spread over 20
domains.  DNS is a dnsmasq on loopback (MX records for every domain), the
sink is a small asyncio SMTP server in its own process (PIPELINING, counts
messages).  Target (issue 4): at least 400 messages per second to one domain
on a 2-core machine.

A third figure runs yubin-remote alone, 5 at a time (the default
concurrencyperdomain), without the queue: the ceiling of the SMTP client
itself, so a slow queue manager and a slow client can be told apart."""
import asyncio, multiprocessing, os, random, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from yubintest import BUILD, Instance  # noqa: E402
from dnstest import DnsServer  # noqa: E402

COUNT = 2000
SIZE = 4096
SINK_IP = "127.0.0.12"
NEEDED = ["yubin-setup", "yubin-queue", "yubin-send", "yubin-rspawn", "yubin-remote", "yubin-inject"]


def sink_main(port, counter, ready):
    async def session(reader, writer):
        writer.write(b"220 bench sink ESMTP\r\n")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-bench sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    while True:
                        l = await reader.readline()
                        if not l or l == b".\r\n":
                            break
                    with counter.get_lock():
                        counter.value += 1
                    writer.write(b"250 2.0.0 accepted\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 2.0.0 ok\r\n")
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def main():
        server = await asyncio.start_server(session, SINK_IP, port, backlog=512)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def message(i, rcpt):
    head = f"From: bench@example.com\nTo: {rcpt}\nSubject: bench {i}\nMessage-ID: <b{i}@example.com>\n\n"
    body = ("x" * 71 + "\n") * ((SIZE - len(head)) // 72)
    return (head + body).encode()


def run(domains):
    port = random.randrange(20000, 60000)
    names = [f"d{k}.bench.test" for k in range(domains)]
    dns = DnsServer(mx={d: [(10, "mx.bench.test")] for d in names}, hosts={"mx.bench.test": [SINK_IP]},
                    zones=("test",))
    counter = multiprocessing.Value("l", 0)
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=sink_main, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(10)
    inst = Instance(services=["send"], start=False)
    try:
        with dns:
            inst.setup()
            inst.control("resolvers", dns.resolvers_line())
            inst.control("smtpport", f"{port}\n")
            t0 = time.time()

            def inject(i):
                rcpt = f"user{i}@{names[i % domains]}"
                inst.sendmail(["-f", "bench@example.com", rcpt], message(i, rcpt))

            with ThreadPoolExecutor(4) as ex:
                list(ex.map(inject, range(COUNT)))
            t_inj = time.time() - t0
            t0 = time.time()
            inst.start()
            deadline = t0 + 600
            while counter.value < COUNT and time.time() < deadline:
                time.sleep(0.02)
            dt = time.time() - t0
            got = counter.value
            print(f"remote: {got} messages of {SIZE} bytes to {domains} domain(s) in {dt:.2f} s: "
                  f"{got / dt:.0f} messages/s (injection took {t_inj:.1f} s, not counted)", flush=True)
            if got < COUNT:
                print(f"remote: only {got} of {COUNT} arrived; send log tail:\n{inst.log('send')[-2000:]}")
    finally:
        inst.__exit__(None, None, None)
        sink.terminate()


def run_direct(parallel=5):
    port = random.randrange(20000, 60000)
    counter = multiprocessing.Value("l", 0)
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=sink_main, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(10)
    root = tempfile.mkdtemp(prefix="yubin-bench-remote-")
    os.chmod(root, 0o755)
    try:
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "control"))
        prog = os.path.join(root, "bin", "yubin-remote")
        shutil.copy(os.path.join(BUILD, "yubin-remote"), prog)
        with DnsServer(mx={"d0.bench.test": [(10, "mx.bench.test")]}, hosts={"mx.bench.test": [SINK_IP]}) as dns:
            for name, value in (("resolvers", dns.resolvers_line()), ("smtpport", f"{port}\n")):
                with open(os.path.join(root, "control", name), "w") as f:
                    f.write(value)
            msg = message(0, "user@d0.bench.test")

            def one(i):
                p = subprocess.run([prog, "%016x" % i, "d0.bench.test", "bench@example.com", "user@d0.bench.test"],
                                   input=msg, capture_output=True, env={"PATH": "/usr/bin:/bin"})
                return p.stdout.startswith(b"ok\t")

            t0 = time.time()
            with ThreadPoolExecutor(parallel) as ex:
                ok = sum(ex.map(one, range(COUNT)))
            dt = time.time() - t0
        print(f"remote: yubin-remote alone, {parallel} at a time: {ok} of {COUNT} delivered in {dt:.2f} s: "
              f"{ok / dt:.0f} messages/s", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        sink.terminate()


def main():
    missing = [p for p in NEEDED if not os.path.exists(os.path.join(BUILD, p))]
    if os.path.exists(os.path.join(BUILD, "yubin-remote")):
        run_direct()
    if missing:
        print("remote: queue figures skipped, not built: " + " ".join(missing))
        return
    run(1)
    run(20)


if __name__ == "__main__":
    main()
