// A WebSocket client that is not .NET (the `ws` library), for interop tests through the proxy.
// usage: node ws-client.mjs URL   -> prints one JSON line with what it saw, exit 0 when every check held.
import WebSocket from 'ws';

const url = process.argv[2];
const ws = new WebSocket(url, ['chat.v1'], { perMessageDeflate: true });
const seen = { protocol: null, extensions: null, text: null, binary: null, pong: null, close: null };
const fail = (why) => { console.log(JSON.stringify({ ...seen, error: why })); process.exit(1); };
setTimeout(() => fail('timeout'), 10000).unref();

ws.on('open', () => {
  seen.protocol = ws.protocol;
  seen.extensions = ws.extensions;
  ws.send('hello from node');
});
ws.on('message', (data, isBinary) => {
  if (!isBinary) {
    seen.text = data.toString();
    ws.send(Buffer.from([0, 1, 2, 255]));
  } else {
    seen.binary = [...data];
    ws.ping(Buffer.from('node-ping'));
  }
});
ws.on('pong', (data) => {
  seen.pong = data.toString();
  ws.close(4000, 'node says bye');
});
ws.on('close', (code, reason) => {
  seen.close = { code, reason: reason.toString() };
  const ok = seen.text === 'hello from node' && seen.binary?.join() === '0,1,2,255' && seen.pong === 'node-ping' && code === 4000;
  console.log(JSON.stringify(seen));
  process.exit(ok ? 0 : 1);
});
ws.on('error', (e) => fail(String(e)));
