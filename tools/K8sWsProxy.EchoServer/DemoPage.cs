namespace K8sWsProxy.EchoServer;

/// <summary>The page `make run` points a browser at: a WebSocket client for the route through the proxy.</summary>
internal static class DemoPage
{
    public const string Html = """
        <!doctype html>
        <html>
        <head><meta charset="utf-8"><title>K8sWsProxy demo</title>
        <style>body{font-family:sans-serif;max-width:50em;margin:2em auto} #log{border:1px solid #ccc;height:20em;overflow:auto;padding:.5em;white-space:pre-wrap}</style>
        </head>
        <body>
        <h1>K8sWsProxy demo</h1>
        <p>WebSocket URL (through the proxy): <input id="url" size="50"> <button id="connect">Connect</button> <button id="close">Close</button></p>
        <p><input id="message" size="50" value="hello"> <button id="send">Send</button></p>
        <div id="log"></div>
        <script>
        const params = new URLSearchParams(location.search);
        document.getElementById('url').value = params.get('ws') || 'ws://' + location.hostname + ':8080/echo';
        const log = m => { const d = document.getElementById('log'); d.textContent += m + '\n'; d.scrollTop = d.scrollHeight; };
        let ws;
        document.getElementById('connect').onclick = () => {
          ws = new WebSocket(document.getElementById('url').value);
          ws.onopen = () => log('open');
          ws.onmessage = e => log('< ' + e.data);
          ws.onclose = e => log('closed ' + e.code + ' ' + e.reason);
          ws.onerror = () => log('error');
        };
        document.getElementById('send').onclick = () => { const m = document.getElementById('message').value; ws.send(m); log('> ' + m); };
        document.getElementById('close').onclick = () => ws.close(1000, 'bye');
        </script>
        </body>
        </html>
        """;
}
