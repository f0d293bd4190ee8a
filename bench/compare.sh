#!/usr/bin/env bash
# bench/compare.sh: the whole performance comparison in one command. For each
# scenario it starts a fresh localnet (release quired, or CometBFT's built-in
# kvstore app as the baseline: same CometBFT, config, genesis and validator
# count), drives it with quire-loadgen, stops it, and at the end writes the
# report (markdown + PNG plots). See docs/benchmarks.md. Takes ~25 minutes.
#
#   bench/compare.sh [--out DIR] [--only REGEX] [--quick]
#
#   --out DIR     where results/, plots/ and report.md go (default docs/bench)
#   --only REGEX  run only the scenarios whose name matches (grep -E)
#   --quick       3 s warmup + 8 s measured per scenario instead of 5 + 20
#
# Environment: BENCH_WARMUP, BENCH_DURATION (seconds), BENCH_ACCOUNTS (load
# accounts, default 256), BENCH_BASE_PORT (default 29000; nodes use 10 ports
# each from there, all on 127.0.0.1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/docs/bench"
ONLY="."
WARMUP="${BENCH_WARMUP:-5}"
DURATION="${BENCH_DURATION:-20}"
ACCOUNTS="${BENCH_ACCOUNTS:-256}"
BASE_PORT="${BENCH_BASE_PORT:-29000}"
COMMAND_LINE="bench/compare.sh $*"

die() {
  echo "bench: error: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a value"; OUT="$2"; shift 2 ;;
    --only) [ $# -ge 2 ] || die "--only needs a value"; ONLY="$2"; shift 2 ;;
    --quick) WARMUP=3 DURATION=8; shift ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see $0 --help)" ;;
  esac
done
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

# Scenarios: name app validators blob-bytes blobs-per-tx namespaces rate
# [vote-extensions] [enc]. kvstore txs are padded to the size of the Quire tx of the
# same shape. Rate 0 = as fast as the nodes take them (throughput); the -r runs
# offer a fixed rate well below capacity, for inclusion latency without
# queueing. Vote extensions are on (genesis) unless the 8th field says off:
# the -ve-off runs measure what the (empty) extensions cost. A 9th field
# `enc` seals each tx's blobs into an encrypted envelope (blind ordering,
# docs/blind-ordering.md): the -enc runs sit next to the plaintext runs of
# the same shape (the network has its epoch key in both).
SCENARIOS=(
  "quire-1v-250B quire 1 250 1 1 0"
  "kvstore-1v-250B kvstore 1 250 1 1 0"
  "quire-1v-10KB quire 1 10000 1 1 0"
  "kvstore-1v-10KB kvstore 1 10000 1 1 0"
  "quire-1v-100KB quire 1 100000 1 1 0"
  "kvstore-1v-100KB kvstore 1 100000 1 1 0"
  "quire-1v-1MB quire 1 1000000 1 1 0"
  "kvstore-1v-1MB kvstore 1 1000000 1 1 0"
  "quire-4v-250B quire 4 250 1 1 0"
  "kvstore-4v-250B kvstore 4 250 1 1 0"
  "quire-4v-10KB quire 4 10000 1 1 0"
  "kvstore-4v-10KB kvstore 4 10000 1 1 0"
  "quire-4v-100KB quire 4 100000 1 1 0"
  "kvstore-4v-100KB kvstore 4 100000 1 1 0"
  "quire-4v-1MB quire 4 1000000 1 1 0"
  "kvstore-4v-1MB kvstore 4 1000000 1 1 0"
  "quire-1v-ns1 quire 1 250 16 1 0"
  "quire-1v-ns100 quire 1 250 16 100 0"
  "quire-1v-ns10000 quire 1 250 16 10000 0"
  "quire-1v-250B-r1000 quire 1 250 1 1 1000"
  "quire-1v-100KB-r50 quire 1 100000 1 1 50"
  "quire-4v-250B-r200 quire 4 250 1 1 200"
  "quire-4v-250B-ve-off quire 4 250 1 1 0 off"
  "quire-4v-100KB-ve-off quire 4 100000 1 1 0 off"
  "quire-4v-250B-r200-ve-off quire 4 250 1 1 200 off"
  "quire-4v-10KB-enc quire 4 10000 1 1 0 on enc"
  "quire-4v-100KB-enc quire 4 100000 1 1 0 on enc"
)

command -v curl >/dev/null || die "curl is required"
if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  echo "bench: installing fonts-dejavu-core for the plots" >&2
  { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core; } >&2 ||
    die "cannot install fonts-dejavu-core (needed to label the plots)"
fi
"$ROOT/localnet/install-cometbft.sh" >&2
echo "bench: building quired and quire-loadgen (release)" >&2
(cd "$ROOT" && cargo build --release --locked -p quired -p quire-loadgen) ||
  die "cargo build --release failed"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
LOADGEN="$TARGET/quire-loadgen"
export QUIRED_BIN="$TARGET/quired"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/quire-bench.XXXXXX")"
NET="$WORK/net"
cleanup() {
  if [ -f "$NET/localnet.env" ]; then
    "$ROOT/localnet/localnet.sh" down --dir "$NET" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT/results" "$OUT/plots"
"$LOADGEN" accounts --seed 1 --count "$ACCOUNTS" >"$WORK/accounts.txt"

ran=0
for scenario in "${SCENARIOS[@]}"; do
  read -r name app validators blob blobs_per_tx namespaces rate vote_extensions enc <<<"$scenario"
  grep -qE -- "$ONLY" <<<"$name" || continue
  echo "bench: === $name ($app, $validators validator(s), $blobs_per_tx × $blob B blobs, $namespaces namespace(s))" >&2
  rm -f "$OUT/results/$name.json"
  LOCALNET_VOTE_EXTENSIONS="${vote_extensions:-on}" \
    "$ROOT/localnet/localnet.sh" up --nodes "$validators" --app "$app" \
    --accounts-file "$WORK/accounts.txt" --dir "$NET" --base-port "$BASE_PORT" \
    >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; die "localnet up failed for $name"; }
  # shellcheck disable=SC1091
  source "$NET/localnet.env"
  args=(--app "$app" --name "$name" --validators "$validators" --accounts "$ACCOUNTS"
    --blob-size "$blob" --blobs-per-tx "$blobs_per_tx" --namespaces "$namespaces"
    --rate "$rate" --warmup "$WARMUP" --duration "$DURATION" --out "$OUT/results/$name.json")
  for ((i = 0; i < validators; i++)); do
    rpc="QUIRE_RPC_$i"
    args+=(--rpc "${!rpc}")
    for kind in cometbft quired; do
      pid_file="$NET/pids/node$i-$kind.pid"
      [ -f "$pid_file" ] && args+=(--watch "$kind$i=$(tr -dc '0-9' <"$pid_file")")
    done
  done
  [ "$app" = quire ] && args+=(--api "$QUIRE_GRPC_0")
  [ "${enc:-}" = enc ] && args+=(--encrypt)
  "$LOADGEN" run "${args[@]}" || {
    "$ROOT/localnet/localnet.sh" logs 0 --dir "$NET" --lines 30 >&2 || true
    die "quire-loadgen run failed for $name"
  }
  "$ROOT/localnet/localnet.sh" down --dir "$NET" >/dev/null 2>&1
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || die "no scenario matches --only '$ONLY'"

"$LOADGEN" report --results "$OUT/results" --out "$OUT/report.md" --plots "$OUT/plots" \
  --context "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
  --context "command=\`$COMMAND_LINE\` (warmup ${WARMUP} s, measured ${DURATION} s, ${ACCOUNTS} load accounts)" \
  --context "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --context "CometBFT=$(tr -d '[:space:]' <"$ROOT/localnet/COMETBFT_VERSION") (localnet/localnet.sh config), quired release build" \
  --context "load=${ACCOUNTS} accounts sending in sequence order, at most 32 MiB and 6000 txs sent but not yet committed, txs sent as GET /broadcast_tx_sync?tx=0x… to every validator's RPC"
echo "bench: report in $OUT/report.md" >&2
