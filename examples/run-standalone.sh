#!/usr/bin/env bash
# make run-standalone: two echo upstreams and the sidecar with examples/standalone.yaml, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-Release}
echo_dll=tools/K8sWsProxy.EchoServer/bin/$config/net10.0/K8sWsProxy.EchoServer.dll
sidecar=.build/sidecar/K8sWsProxy.Sidecar   # the shipped Native AOT executable (make build)

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

dotnet "$echo_dll" --listen 127.0.0.1:9000 --name echo-a & pids+=($!)
dotnet "$echo_dll" --listen 127.0.0.1:9001 --name echo-b & pids+=($!)
"$sidecar" --config examples/standalone.yaml --listen 127.0.0.1:8080 --admin 127.0.0.1:9901 & pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:9901/readyz >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<MSG

K8sWsProxy standalone demo
  WebSocket route (through the proxy):  ws://127.0.0.1:8080/echo
  Demo page with a WebSocket client:    http://127.0.0.1:9000/?ws=ws://127.0.0.1:8080/echo
  Admin: http://127.0.0.1:9901/healthz  /readyz  /v1/config
  Try:   node -e "const W=require('./tests/peers/node_modules/ws');const w=new W('ws://127.0.0.1:8080/echo');w.on('open',()=>w.send('hi'));w.on('message',m=>{console.log(String(m));w.close()})"
Ctrl-C stops everything.
MSG
wait "${pids[2]}"
