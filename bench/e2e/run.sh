#!/usr/bin/env bash
# The end-to-end benchmark: stock clients (iperf3, ping) in a network namespace against `wirestack serve`
# on TAP, on AF_PACKET over veth and on AF_XDP over veth, next to the same clients against the kernel's own stack over a veth
# pair, all in one run. Writes results.json, a ratio table (table.md) and a chart (ratios.svg) to the
# output directory and prints the table. Needs root (namespaces, TAP, AF_PACKET, AF_XDP).
#
#   sudo bench/e2e/run.sh [--seconds N] [--out DIR] [--skip-build]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=5
out=bench/e2e/out
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --skip-build) build=0; shift ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'; use --seconds N, --out DIR or --skip-build" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root for namespaces, TAP and AF_PACKET; run it with sudo" >&2; exit 2; }
for tool in ip iperf3 ping python3 dotnet ethtool; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is missing (apt-get install iproute2 iperf3 iputils-ping python3 ethtool)" >&2; exit 2; }
done

mkdir -p "$out"
out="$(cd "$out" && pwd)"
raw="$out/raw"
rm -rf "$raw"; mkdir -p "$raw"
if [ "$build" -eq 1 ]; then
  dotnet build src/Wirestack.Cli -c Release -v q -nologo >/dev/null
fi
cli=(dotnet "$(pwd)/src/Wirestack.Cli/bin/Release/net10.0/wirestack.dll")
[ -f "${cli[1]}" ] || cli=(dotnet "$(ls "$(pwd)"/src/Wirestack.Cli/bin/Release/net10.0/*.Cli.dll 2>/dev/null | head -1)")

client=wsb-client
server=wsb-server
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  ip netns pids "$server" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$client" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$client" 2>/dev/null || true
  ip netns del "$server" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$client"
ip netns add "$server"
ip -n "$client" link set lo up
ip -n "$server" link set lo up

# One measurement series against an address already serving iperf3 (port 5201) and answering ping.
# $1 = label, $2 = server address
measure() {
  local label="$1" addr="$2" run
  for run in "tcp-P1:-P 1" "tcp-P1-R:-P 1 -R" "tcp-P4:-P 4" "tcp-P4-R:-P 4 -R" "udp64:-u -l 64 -b 0" "udp64-R:-u -l 64 -b 0 -R"; do
    local name="${run%%:*}" args="${run#*:}"
    echo "  $label $name" >&2
    # shellcheck disable=SC2086
    if ! ip netns exec "$client" timeout $((seconds + 20)) iperf3 -c "$addr" -t "$seconds" -J $args >"$raw/$label.$name.json" 2>"$raw/$label.$name.err"; then
      echo "  $label $name failed: $(tail -1 "$raw/$label.$name.err" 2>/dev/null; python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error",""))' "$raw/$label.$name.json" 2>/dev/null)" >&2
    fi
    sleep 0.5
  done
  echo "  $label ping" >&2
  ip netns exec "$client" ping -c 500 -i 0.002 -q -n "$addr" >/dev/null 2>&1 || true
  ip netns exec "$client" ping -c 1000 -i 0.002 -n "$addr" >"$raw/$label.ping.txt" 2>&1 || true
}

# Starts `wirestack serve` in the server namespace and waits for its "ready" line.
start_serve() {
  local log="$1"; shift
  ip netns exec "$server" "${cli[@]}" serve "$@" --iperf3 5201 >"$log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 200); do
    grep -q '^ready' "$log" 2>/dev/null && return 0
    kill -0 "$serve_pid" 2>/dev/null || { echo "run.sh: wirestack serve exited: $(tail -3 "$log")" >&2; exit 1; }
    sleep 0.1
  done
  echo "run.sh: wirestack serve did not print ready within 20 s: $(tail -3 "$log")" >&2
  exit 1
}

# SIGTERM, not SIGINT: a background job of a non-interactive shell starts with SIGINT ignored, and .NET keeps it so.
stop_serve() {
  kill -TERM "$serve_pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$serve_pid" 2>/dev/null && echo "run.sh: wirestack serve did not stop within 15 s of SIGTERM; killed it" >&2
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=""
}

echo "kernel <-> kernel over veth" >&2
ip link add wsb-c0 type veth peer name wsb-s0
ip link set wsb-c0 netns "$client"; ip link set wsb-s0 netns "$server"
ip -n "$client" addr add 10.77.0.1/24 dev wsb-c0; ip -n "$client" link set wsb-c0 up
ip -n "$server" addr add 10.77.0.2/24 dev wsb-s0; ip -n "$server" link set wsb-s0 up
ip netns exec "$server" iperf3 -s -D -p 5201 --pidfile "$raw/iperf3.pid"
sleep 0.5
measure kernel-veth 10.77.0.2
kill "$(cat "$raw/iperf3.pid")" 2>/dev/null || true
ip -n "$client" link del wsb-c0

# Wirestack serving on one end of a veth pair, the client on the other: $1 = label, $2 = the pair's number (wsb-cN,
# wsb-sN, 10.77.N.0/24), $3 = the device kind (packet, xdp), $4 = the veth's offloads: "on" keeps checksum offload, TSO
# and GSO (the veth's defaults) and turns GRO on, for a device that exchanges 64 KiB segments with the kernel (AF_PACKET
# with PACKET_VNET_HDR); "off" makes both ends compute checksums and segment in software, for a device that copies
# frames as the veth carries them (AF_XDP), since a veth otherwise leaves checksums partial and segments whole.
serve_on_veth() {
  local label="$1" n="$2" kind="$3" offloads="$4" c="wsb-c$2" s="wsb-s$2"
  echo "kernel <-> wirestack on $kind over veth (offloads $offloads)" >&2
  ip link add "$c" type veth peer name "$s"
  ip link set "$c" netns "$client"; ip link set "$s" netns "$server"
  ip -n "$client" addr add "10.77.$n.1/24" dev "$c"; ip -n "$client" link set "$c" up
  ip -n "$server" link set "$s" up
  local features="tx off tso off gso off gro off"
  [ "$offloads" = on ] && features="tx on tso on gso on gro on"
  # shellcheck disable=SC2086
  ip netns exec "$client" ethtool -K "$c" $features >/dev/null 2>&1
  # shellcheck disable=SC2086
  ip netns exec "$server" ethtool -K "$s" $features >/dev/null 2>&1
  ip netns exec "$server" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$s/disable_ipv6" 2>/dev/null || true
  start_serve "$raw/serve-$kind.log" --device "$kind:$s" --ip "10.77.$n.2/24"
  measure "$label" "10.77.$n.2"
  stop_serve
  ip -n "$client" link del "$c"
}

serve_on_veth wirestack-packet 1 packet on
serve_on_veth wirestack-xdp 3 xdp off

echo "kernel <-> wirestack on TAP" >&2
# The TAP device lives in the client namespace: its kernel side is the client's interface, Wirestack holds the fd.
server_saved="$server"; server="$client"
start_serve "$raw/serve-tap.log" --device tap:wsb-tap0 --ip 10.77.2.2/24
server="$server_saved"
for _ in $(seq 1 50); do ip -n "$client" link show wsb-tap0 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$client" addr add 10.77.2.1/24 dev wsb-tap0; ip -n "$client" link set wsb-tap0 up
sleep 0.5
measure wirestack-tap 10.77.2.2
stop_serve

python3 bench/e2e/report.py "$raw" "$out" "$seconds"
