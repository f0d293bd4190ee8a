#!/usr/bin/env bash
# bench/read-api.sh: requests/second and latency of quired's HTTP read API on
# loopback, end to end on a fresh machine. Results are recorded in
# docs/benchmarks.md.
#
#   bench/read-api.sh [--base-port P] [--threads T] [--connections C]
#                     [--duration SECS] [--release]
#
# Defaults: base port 31200 (uses P..P+5), wrk -t2 -c16 -d15s, debug build.
# Needs: cargo, go (the first run builds CometBFT into .bin/), curl, wrk
# (apt-get install wrk), sha256sum, awk. QUIRED_BIN=<path> skips the quired
# build (see docs/localnet.md).
#
# What it does:
#   1. Starts a new 1-node localnet (localnet/localnet.sh up) in a fresh temp
#      directory. Every listener (P2P, RPC, ABCI, metrics, gRPC, HTTP) is on
#      127.0.0.1; the script checks that with ss (when available) and fails
#      otherwise. It refuses a base port whose range is already in use.
#   2. Fills it: alice, bob, carol and dave submit small blobs (`--wait`) to
#      the rollups bench, bench-b, bench-c, bench-d until the served height is
#      past 51; then alice submits a 1 KiB and a 100 KiB random blob to
#      "bench", and bob a small blob to bench-b (the "absence" height). Those
#      three land above height 50, outside the range 1..50 measured below.
#   3. Per endpoint: GET /v1/height; namespace sha256("bench") at the 1 KiB
#      height; sha256("bench-absent") (never written) at the absence height;
#      "bench" at the 100 KiB height; "bench" range from=1&to=50. First one
#      curl request on a cold server (time_total; for a namespace request this
#      includes fetching the signed header and both validator sets of each
#      height from CometBFT's RPC, which quired then caches for 512 heights),
#      then one warm curl request, then `wrk --latency` on the warm cache. The
#      CPU time quired, CometBFT, wrk and all other processes use during the
#      wrk run is read from /proc and shown as % of one core: wrk and the
#      server share the machine's `nproc` cores, and "other" shows whether
#      something else (a build, another localnet) disturbed the run. The
#      last column, quired's CPU time per request, is the number least
#      disturbed by other load.
#   4. Prints the machine, the build and a markdown table to stdout (progress
#      goes to stderr). A request that is not 2xx makes the script fail.
#
# The localnet is always stopped and its directory deleted (trap on EXIT,
# INT and TERM), whether the run succeeds or fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_PORT=31200
THREADS=2
CONNECTIONS=16
DURATION=15
RELEASE=()
FILL_PAST=51 # served height to reach before the 1 KiB / 100 KiB blobs
RANGE_FROM=1
RANGE_TO=50

die() { echo "read-api bench: error: $*" >&2; exit 1; }
note() { echo "read-api bench: $*" >&2; }
usage() { sed -n '2,41p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --base-port) BASE_PORT="${2:?}"; shift 2 ;;
    --threads) THREADS="${2:?}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --release) RELEASE=(--release); shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for v in "$BASE_PORT" "$THREADS" "$CONNECTIONS" "$DURATION"; do
  [[ "$v" =~ ^[0-9]+$ ]] || die "not a number: $v"
done
if [ "$BASE_PORT" -lt 1024 ] || [ "$BASE_PORT" -gt 65530 ]; then
  die "--base-port must be 1024..65530"
fi

for tool in cargo curl wrk sha256sum awk; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH"
done
for p in $(seq "$BASE_PORT" $((BASE_PORT + 5))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    die "port $p on 127.0.0.1 is in use; pick another --base-port"
  fi
done

export PATH="$ROOT/.bin:$PATH"
LOCALNET="$ROOT/localnet/localnet.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quire-read-api-bench.XXXXXX")"
NET="$WORK/net"
WORKERS=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Fill workers: freeze each, stop the submit it is running, then end it.
  for pid in "${WORKERS[@]}"; do
    kill -STOP "$pid" 2>/dev/null || continue
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
  done
  for pid in "${WORKERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -d "$NET" ]; then
    "$LOCALNET" down --dir "$NET" --clean >&2 || note "localnet down failed; check $NET"
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ 1. localnet ---

note "starting a 1-node localnet in $NET on 127.0.0.1:$BASE_PORT..$((BASE_PORT + 5))"
mkdir -p "$NET"
"$LOCALNET" up --nodes 1 --base-port "$BASE_PORT" --dir "$NET" "${RELEASE[@]}" >&2
# shellcheck disable=SC1091
source "$NET/localnet.env"
Q="$QUIRE_QUIRED_BIN"
API="$QUIRE_API_0"
case "$API" in http://127.0.0.1:*) ;; *) die "read API is not on 127.0.0.1: $API" ;; esac

QUIRED_PID="$(cat "$NET/pids/node0-quired.pid")"
COMETBFT_PID="$(cat "$NET/pids/node0-cometbft.pid")"
if command -v ss >/dev/null 2>&1; then
  listeners="$(ss -Hltnp | grep -E "pid=($QUIRED_PID|$COMETBFT_PID)," | awk '{print $4}' || true)"
  [ -n "$listeners" ] || die "found no listening sockets of quired/cometbft with ss"
  outside="$(grep -v '^127\.0\.0\.1:' <<<"$listeners" || true)"
  [ -z "$outside" ] || die "listeners outside 127.0.0.1: $outside"
  note "listeners: $(tr '\n' ' ' <<<"$listeners")(all 127.0.0.1)"
else
  note "ss not found: not checking listeners (localnet.sh binds 127.0.0.1)"
fi

served_height() {
  curl -sf --max-time 5 "$API/v1/height" | tr -dc '0-9'
}

# ---------------------------------------------------------------- 2. data ---

submit() { # submit ACCOUNT ROLLUP --data X | --data-file F ; prints the height
  "$Q" tx submit-blob --home "$QUIRE_KEYRING_HOME" --node "$QUIRE_RPC_0" \
    --from "$1" --rollup "$2" "$3" "$4" --wait --output json |
    sed -n 's/.*"height":\([0-9]*\).*/\1/p'
}

note "filling: 4 accounts submit small blobs until the served height passes $FILL_PAST"
worker() { # worker ACCOUNT ROLLUP
  local n=0
  while [ "$(served_height || echo 0)" -le "$FILL_PAST" ]; do
    n=$((n + 1))
    submit "$1" "$2" --data "$2 blob $n from $1 $(date +%s%N)" >/dev/null ||
      note "submit $n by $1 failed (continuing)"
  done
  echo "$n" >"$WORK/fill-$1"
}
for pair in alice:bench bob:bench-b carol:bench-c dave:bench-d; do
  worker "${pair%%:*}" "${pair#*:}" &
  WORKERS+=($!)
done
for pid in "${WORKERS[@]}"; do wait "$pid"; done
WORKERS=()
FILLED=$(cat "$WORK"/fill-* | awk '{s += $1} END {print s}')

head -c 1024 /dev/urandom >"$WORK/1k.bin"
head -c 102400 /dev/urandom >"$WORK/100k.bin"
H_1K="$(submit alice bench --data-file "$WORK/1k.bin")"
H_100K="$(submit alice bench --data-file "$WORK/100k.bin")"
H_ABS="$(submit bob bench-b --data "absence-height marker")"
for h in "$H_1K" "$H_100K" "$H_ABS"; do [[ "$h" =~ ^[0-9]+$ ]] || die "a blob submission failed"; done
deadline=$((SECONDS + 60))
until [ "$(served_height || echo 0)" -ge "$H_ABS" ]; do
  [ $SECONDS -lt $deadline ] || die "height $H_ABS was not served within 60 s"
  sleep 0.5
done
note "$FILLED small blob txs; 1 KiB blob at height $H_1K, 100 KiB at $H_100K, absence at $H_ABS; served height $(served_height)"

# ------------------------------------------------------------- 3. measure ---

NS="$(printf %s bench | sha256sum | cut -d' ' -f1)"
ABSENT="$(printf %s bench-absent | sha256sum | cut -d' ' -f1)"
TICKS="$(getconf CLK_TCK)"

cpu_ticks() { # utime + stime of PID, in clock ticks
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
busy_ticks() { # non-idle CPU time of the whole machine (all cores), in clock ticks
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

ROWS=()
measure() { # measure LABEL PATH
  local label="$1" url="$API$2" out="$WORK/wrk.txt" q0 c0 b0 q1 c1 b1 wall wu ws
  local cold warm bytes code
  read -r code bytes cold < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$url")
  [ "$code" = 200 ] || die "$label: GET $url answered $code"
  read -r code _ warm < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$url")
  [ "$code" = 200 ] || die "$label: GET $url answered $code"
  note "$label: cold ${cold}s, warm ${warm}s, $bytes bytes; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s ..."
  q0=$(cpu_ticks "$QUIRED_PID"); c0=$(cpu_ticks "$COMETBFT_PID"); b0=$(busy_ticks)
  local TIMEFORMAT='%R %U %S'
  { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" >"$out"; } 2>"$WORK/time.txt"
  q1=$(cpu_ticks "$QUIRED_PID"); c1=$(cpu_ticks "$COMETBFT_PID"); b1=$(busy_ticks)
  read -r wall wu ws <"$WORK/time.txt"
  sed 's/^/    /' "$out" >&2
  if grep -qE 'Non-2xx|Socket errors' "$out"; then
    die "$label: wrk saw errors: $(grep -E 'Non-2xx|Socket errors' "$out" | tr -s ' ')"
  fi
  ROWS+=("$(awk -v label="$label" -v bytes="$bytes" -v cold="$cold" -v warm="$warm" \
      -v q="$((q1 - q0))" -v c="$((c1 - c0))" -v b="$((b1 - b0))" \
      -v wu="$wu" -v ws="$ws" -v wall="$wall" -v hz="$TICKS" '
    function ms(s) { return sprintf("%.2f ms", s * 1000) }
    /^ +Latency / && !avg { avg = $2; max = $4 }
    /^ +50% / { p50 = $2 } /^ +90% / { p90 = $2 } /^ +99% / { p99 = $2 }
    /^Requests\/sec:/ { rps = $2 }
    / requests in / { n = $1 }
    END {
      other = 100 * (b - q - c) / hz / wall - 100 * (wu + ws) / wall
      if (other < 0) other = 0
      printf "| %s | %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %d / %d / %d / %d | %.0f µs |", label, bytes, ms(cold), ms(warm),
        rps, avg, p50, p90, p99, max,
        100 * q / hz / wall, 100 * c / hz / wall, 100 * (wu + ws) / wall, other, 1e6 * q / hz / n
    }' "$out")")
}

START="$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
measure "GET /v1/height" "/v1/height"
measure "namespace, 1 KiB blob (h $H_1K)" "/v1/namespaces/$NS/heights/$H_1K"
measure "namespace, absent (h $H_ABS)" "/v1/namespaces/$ABSENT/heights/$H_ABS"
measure "namespace, 100 KiB blob (h $H_100K)" "/v1/namespaces/$NS/heights/$H_100K"
measure "range $RANGE_FROM..$RANGE_TO" "/v1/namespaces/$NS/range?from=$RANGE_FROM&to=$RANGE_TO"

# -------------------------------------------------------------- 4. report ---

profile=debug; [ ${#RELEASE[@]} -eq 0 ] || profile=release
[ -z "${QUIRED_BIN:-}" ] || profile="QUIRED_BIN=$QUIRED_BIN"
cat <<EOF
## Quire HTTP read API on loopback ($START)

- machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(free -h | awk '/^Mem:/ {print $2}') RAM
- build: quired $profile at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), cometbft $("$QUIRE_COMETBFT_BIN" version), 1 validator
- load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency; wrk, quired and CometBFT share the cores
- data: $FILLED small blob txs over 4 namespaces; namespace bench = sha256("bench") = $NS
- load average before measuring: $LOADAVG
- cold = first request for that URL (curl time_total), warm = the next one; CPU = % of one core during the wrk run (the machine has $(( $(nproc) * 100 ))%); "other" = every other process on the machine (should be near 0); quired CPU/req = quired's CPU time / requests served, which other load disturbs less than req/s

| request | response bytes | cold | warm | req/s | avg | p50 | p90 | p99 | max | CPU % quired / CometBFT / wrk / other | quired CPU/req |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
printf '%s\n' "${ROWS[@]}"
