#!/usr/bin/env python3
"""Load generator for the handoff shell tests (Python standard library only).

  load.py PORT [--clients N] [--concurrency C] [--host H] [--timeout S] [--banner PREFIX]
          [--after-banner-wait MS] [--source ADDR]

Runs N clients, at most C connected at once (default: all N at once): each connects, (with
--banner waits for the banner line and the pregreet wait), sends "load-I" + CRLF, reads lines
until its echo comes back, and closes. Prints one JSON object:
  {"clients", "ok", "failed", "errors": {"kind": count}, "max_open", "seconds"}
Exit 0 when every client got its echo. Each client is bounded by --timeout (default 30 s).
"""
import argparse
import asyncio
import json
import sys
import time


async def one(i, args, sem, state):
    async with sem:
        writer = None
        try:
            async def run():
                nonlocal writer
                reader, writer = await asyncio.open_connection(
                    args.host, args.port,
                    local_addr=(args.source, 0) if args.source else None)
                state["open"] += 1
                state["max_open"] = max(state["max_open"], state["open"])
                try:
                    if args.banner is not None:
                        while True:
                            line = await reader.readline()
                            if not line:
                                raise ConnectionError("closed before the banner")
                            if line.decode(errors="replace").startswith(args.banner):
                                break
                        await asyncio.sleep(args.after_banner_wait / 1000.0)
                    text = f"load-{i}"
                    writer.write(text.encode() + b"\r\n")
                    await writer.drain()
                    while True:
                        line = await reader.readline()
                        if not line:
                            raise ConnectionError("closed before the echo")
                        if text in line.decode(errors="replace"):
                            return
                finally:
                    state["open"] -= 1
            await asyncio.wait_for(run(), args.timeout)
            state["ok"] += 1
        except Exception as e:  # noqa: BLE001 - every failure is counted by kind
            kind = type(e).__name__
            state["errors"][kind] = state["errors"].get(kind, 0) + 1
        finally:
            if writer is not None:
                writer.close()
                try:
                    await writer.wait_closed()
                except Exception:  # noqa: BLE001
                    pass


async def main_async(args):
    sem = asyncio.Semaphore(args.concurrency or args.clients)
    state = {"ok": 0, "errors": {}, "open": 0, "max_open": 0}
    start = time.monotonic()
    await asyncio.gather(*(one(i, args, sem, state) for i in range(args.clients)))
    return {
        "clients": args.clients,
        "ok": state["ok"],
        "failed": args.clients - state["ok"],
        "errors": state["errors"],
        "max_open": state["max_open"],
        "seconds": round(time.monotonic() - start, 3),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=0)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--banner")
    p.add_argument("--source")
    p.add_argument("--after-banner-wait", type=float, default=0.0)
    args = p.parse_args()
    result = asyncio.run(main_async(args))
    print(json.dumps(result), flush=True)
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
