#!/usr/bin/env bash
# Runs every Wirestack test. Installs the Debian packages the interop tests drive (the Linux
# kernel's own tools are the peer) when any is missing, then runs `dotnet test` on the solution
# and prints one closing line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package providing it
declare -A tools=(
  [ip]=iproute2 [ping]=iputils-ping [tshark]=tshark [tcpdump]=tcpdump [nc]=netcat-openbsd
  [socat]=socat [curl]=curl [iperf3]=iperf3 [ethtool]=ethtool [python3]=python3 [cc]=gcc
  [setpriv]=util-linux [wrk]=wrk
  [tc]=iproute2 [nstat]=iproute2
)
missing=()
for cmd in "${!tools[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${tools[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 2
  fi
  echo "test.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is not on PATH; install it, then run this again." >&2
  exit 2
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Wirestack.sln -c Release "$@" 2>&1 | tee "$log" || status=$?

# Sum the per-project summary lines ("Passed!  - Failed: 0, Passed: 29, Skipped: 0, ...").
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
    }
  }
  END { printf "%d %d %d\n", p, f, s }' FS='[ ,]+' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # a build or runner failure counts
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
