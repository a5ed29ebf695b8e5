#!/usr/bin/env python3
"""A TCP relay on 127.0.0.1 that emulates a long link: every chunk is forwarded
DELAY_MS after it arrived, in each direction (round trip = 2 * DELAY_MS), with no
bandwidth limit of its own. Used by node_vs_sshd.sh (RTT_MS=...) where `tc netem` is
not available.

    delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS LIFETIME_S

Ends by itself after LIFETIME_S seconds.
"""
import asyncio
import sys
import time

CHUNK = 256 * 1024


async def relay(reader, writer, delay):
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((time.monotonic() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((time.monotonic(), b""))

    async def write():
        try:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    await asyncio.gather(read(), write())


async def main(listen, target, delay, lifetime):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            relay(client_reader, server_writer, delay),
            relay(server_reader, client_writer, delay),
        )
        for w in (client_writer, server_writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await asyncio.sleep(lifetime)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    delay_ms, lifetime_s = float(sys.argv[3]), float(sys.argv[4])
    asyncio.run(main(listen_port, target_port, delay_ms / 1000, lifetime_s))
