"""WebSocket cost and fan-out, against a running daemon (bench/ws.sh starts one).

    python3 bench/ws_fanout.py <port> <daemon pid> <api key> [sockets] [events] [runs]

Opens SOCKETS WebSockets (X-API-Key on the upgrade, each subscribed to "*") and reports the
daemon's resident memory before and after, per socket. Then, RUNS times, makes EVENTS incoming
sandbox messages one after another and times until every socket has received every
message.received event: frames delivered per second (median run). Standard library only: the
client side is a minimal RFC 6455 text-frame client.
"""
import asyncio, base64, json, os, statistics, sys, time, urllib.request

PORT, PID, KEY = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
SOCKETS = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
EVENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 50
RUNS = int(sys.argv[6]) if len(sys.argv) > 6 else 3


def rss_kb():
    with open(f"/proc/{PID}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def api(method, path, body=None):
    req = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": KEY})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def text_frame(text):
    data, mask = text.encode(), os.urandom(4)
    n = len(data)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0xFE]) + n.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def read_frame(r):
    head = await r.readexactly(2)
    n = head[1] & 0x7F
    if n == 126:
        n = int.from_bytes(await r.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await r.readexactly(8), "big")
    return head[0] & 0x0F, await r.readexactly(n)


async def read_json(r):
    while True:
        op, payload = await read_frame(r)
        if op == 1:
            return json.loads(payload)


async def connect():
    r, w = await asyncio.open_connection("127.0.0.1", PORT)
    nonce = base64.b64encode(os.urandom(16)).decode()
    w.write((f"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
             f"Sec-WebSocket-Version: 13\r\nX-API-Key: {KEY}\r\n\r\n").encode())
    status = (await r.readuntil(b"\r\n\r\n")).split(b"\r\n")[0]
    assert b" 101 " in status, status
    assert (await read_json(r))["type"] == "authenticated"
    w.write(text_frame(json.dumps({"type": "subscribe", "sessionId": "*"})))
    assert (await read_json(r))["type"] == "subscribed"
    return r, w


async def wait_status(sid, status):
    for _ in range(600):
        if api("GET", f"/api/sessions/{sid}")["status"] == status:
            return
        await asyncio.sleep(0.05)
    raise SystemExit(f"session never became {status}")


async def main():
    sid = api("POST", "/api/sessions", {"name": "ws-bench", "engine": "sandbox"})["id"]
    api("POST", f"/api/sessions/{sid}/start", {})
    await wait_status(sid, "qr_ready")
    api("POST", f"/api/sandbox/sessions/{sid}/scan", {})
    await wait_status(sid, "ready")

    before = rss_kb()
    sockets = [await connect() for _ in range(SOCKETS)]
    after = rss_kb()
    print(f"websockets: {SOCKETS} open and subscribed, RSS {before / 1024:.1f} -> "
          f"{after / 1024:.1f} MB, {(after - before) / SOCKETS:.1f} KB per socket")

    loop = asyncio.get_running_loop()
    rates = []
    for run in range(RUNS):
        async def drain(r):
            seen = 0
            while seen < EVENTS:
                if (await read_json(r)).get("payload", {}).get("event") == "message.received":
                    seen += 1
        start = time.perf_counter()
        readers = [asyncio.create_task(drain(r)) for r, _ in sockets]
        for i in range(EVENTS):
            body = {"from": f"6281{run}{i:07}@c.us", "text": f"fan-out {run}/{i}"}
            await loop.run_in_executor(None, api, "POST", f"/api/sandbox/sessions/{sid}/incoming", body)
        await asyncio.gather(*readers)
        rates.append(EVENTS * SOCKETS / (time.perf_counter() - start))
    print(f"fan-out: {EVENTS} events x {SOCKETS} sockets, {statistics.median(rates):,.0f} frames/s "
          f"(median of {RUNS}; runs {', '.join(f'{x:,.0f}' for x in rates)})")


asyncio.run(main())
