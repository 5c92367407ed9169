"""A WebSocket echo upstream that is not .NET (python3-websockets), for interop tests behind the proxy.

usage: /usr/bin/python3 py_upstream.py   -> prints "port N" once listening on 127.0.0.1; echoes every message;
answers subprotocol chat.v1; prints "close CODE REASON" for every close frame a client sends.
"""
import asyncio
import sys

import websockets


async def echo(websocket, path=None):
    try:
        async for message in websocket:
            await websocket.send(message)
    except websockets.ConnectionClosed:
        pass
    print(f"close {websocket.close_code} {websocket.close_reason}", flush=True)


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["chat.v1"], ping_interval=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
