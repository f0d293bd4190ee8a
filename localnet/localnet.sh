#!/usr/bin/env bash
# localnet.sh: run a Quire network of N validators (CometBFT + quired each) on
# 127.0.0.1, for development and fault tests. See docs/localnet.md.
#
#   localnet.sh up      [--nodes N] [--dir DIR] [--base-port P] [--chain-id ID] [--release]
#                       [--app quire|kvstore] [--accounts-file FILE] [--staking-params FILE] [--no-l1] [--l1]
#                       [--no-encryption] [--encryption-expiry E:K] [--encryption-dkg PHASE_BLOCKS]
#                       [--snapshot-interval N] [--snapshot-index-heights K]
#   localnet.sh down    [--dir DIR] [--clean]
#   localnet.sh start   [--dir DIR]
#   localnet.sh status  [--dir DIR]
#   localnet.sh kill    I [quired|cometbft|both] [--dir DIR] [--signal SIG]
#   localnet.sh restart I [--dir DIR]
#   localnet.sh logs    I [quired|cometbft] [--dir DIR] [--lines N] [--follow]
#   localnet.sh add-validator [--dir DIR] [--self-bond AMOUNT]
#
# add-validator starts node N (a new CometBFT + quired), waits until it has
# block-synced, funds a new operator key "nodeN" from alice and bonds it as
# a validator with MsgCreateValidator (default self-bond 10000000: power 10).
# Ports of node i (P = --base-port): P+10i P2P, P+10i+1 RPC, P+10i+2 ABCI,
# P+10i+3 CometBFT's Prometheus, P+10i+4 gRPC read API, P+10i+5 HTTP read
# API, P+10i+6 quired's Prometheus metrics.
# Everything binds 127.0.0.1.
#
# --app kvstore runs CometBFT's built-in kvstore app instead of quired (the
# benchmark baseline: same CometBFT, config and genesis, no quired).
# --accounts-file funds more accounts at genesis: one "ADDRESS:AMOUNT" a line.
# --snapshot-interval N: validators take a state-sync snapshot every N heights
# (docs/operators.md, "State sync"; default 0: none).
# --snapshot-index-heights K: each snapshot carries the blob index of the
# last K heights (default 100).
# --staking-params: a JSON StakingParams file (docs/staking.md), e.g. short
# unbonding and jail times for tests.
# The chain is anchored on an L1 (chain id QUIRE_L1_CHAIN_ID, default 1337:
# validators sign checkpoints, docs/l1.md) unless --no-l1 or
# LOCALNET_VOTE_EXTENSIONS=off. Validators added later (add-validator)
# register their node's L1 key in their create-validator transaction (and,
# with --encryption-dkg, their key-generation keys).
# Blind ordering is on (docs/blind-ordering.md) unless --no-encryption or
# LOCALNET_VOTE_EXTENSIONS=off: a dealer's threshold key at genesis, each
# genesis validator's share in <quired home>/config/encryption_share.json
# (test networks only: the dealer, localnet.sh itself, knew every share).
# --encryption-expiry E:K: a slot not revealed within E blocks expires, K
# expiries in a row switch the chain to plaintext only (default 20:3).
# --encryption-dkg PHASE_BLOCKS: no dealer: the validators generate the key
# on chain (each with the key-generation secret quired init wrote to
# <quired home>/config/dkg_key.json), in 3 phases of PHASE_BLOCKS blocks;
# envelopes are refused (code 86) until the key is made.
# --l1 also runs the L1: geth --dev (built by install-geth.sh) on
# 127.0.0.1:P-10 from a mainnet-forks genesis, the QuireAnchor deployed by
# quire-relayer deploy, and quire-relayer run (metrics on P-9) with its
# data mode on (the blocks as EIP-4844 blobs); dev keys 0x01…01 (deployer),
# 0x02…02 (relayer) and 0x03…03 (data), funded in the L1 genesis.
#
# Environment: QUIRED_BIN (use this quired binary, skip the build),
# LOCALNET_WAIT_SECS (how long up/start/restart wait for blocks, default 120),
# QUIRE_BIN_DIR (where install-cometbft.sh puts cometbft, default <repo>/.bin).
# Tuning (see docs/localnet.md for the defaults and why): LOCALNET_BLOCK_MAX_BYTES,
# LOCALNET_TIMEOUT_PROPOSE, LOCALNET_TIMEOUT_COMMIT, LOCALNET_MEMPOOL_MAX_TXS_BYTES,
# LOCALNET_TX_INDEXER, LOCALNET_VOTE_EXTENSIONS (on by default; "off" disables
# them, to measure their cost).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMETBFT="${QUIRE_BIN_DIR:-$ROOT/.bin}/cometbft"
GETH="${QUIRE_BIN_DIR:-$ROOT/.bin}/geth"
L1=0
WAIT_SECS="${LOCALNET_WAIT_SECS:-120}"
STOP_SECS=10
ACCOUNTS=(alice bob carol dave)
ACCOUNT_BALANCE=1000000000000000
# Must equal quire_app::Params::default().max_tx_bytes: CometBFT drops larger
# txs from the mempool before the app sees them.
MAX_TX_BYTES=2621440
BLOCK_MAX_BYTES="${LOCALNET_BLOCK_MAX_BYTES:-22020096}"
TIMEOUT_PROPOSE="${LOCALNET_TIMEOUT_PROPOSE:-3s}"
TIMEOUT_COMMIT="${LOCALNET_TIMEOUT_COMMIT:-500ms}"
MEMPOOL_MAX_TXS_BYTES="${LOCALNET_MEMPOOL_MAX_TXS_BYTES:-1073741824}"
TX_INDEXER="${LOCALNET_TX_INDEXER:-kv}"
case "${LOCALNET_VOTE_EXTENSIONS:-on}" in
  on) VOTE_EXTENSIONS_HEIGHT=1 ;;
  off) VOTE_EXTENSIONS_HEIGHT=0 ;;
  *) echo "localnet: LOCALNET_VOTE_EXTENSIONS must be on or off, got ${LOCALNET_VOTE_EXTENSIONS}" >&2; exit 2 ;;
esac
# The L1 the chain is anchored on (its chain id is in every checkpoint
# signature); anchoring needs vote extensions, so it is off with them.
L1_CHAIN_ID="${QUIRE_L1_CHAIN_ID:-1337}"

# ---------------------------------------------------------------- helpers ---

die() {
  echo "localnet: error: $*" >&2
  exit 1
}

note() {
  echo "localnet: $*" >&2
}

usage() {
  sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

is_uint() {
  [[ "$1" =~ ^[0-9]+$ ]]
}

abspath() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

p2p_port() { echo $((BASE_PORT + 10 * $1)); }
rpc_port() { echo $((BASE_PORT + 10 * $1 + 1)); }
abci_port() { echo $((BASE_PORT + 10 * $1 + 2)); }
prom_port() { echo $((BASE_PORT + 10 * $1 + 3)); }
grpc_port() { echo $((BASE_PORT + 10 * $1 + 4)); }
http_port() { echo $((BASE_PORT + 10 * $1 + 5)); }
quired_metrics_port() { echo $((BASE_PORT + 10 * $1 + 6)); }

l1_port() { echo $((BASE_PORT - 10)); }
relayer_metrics_port() { echo $((BASE_PORT - 9)); }

node_home() { echo "$DIR/node$1/$2"; } # node_home I quired|cometbft (I = l1: geth|relayer)
pid_file() { echo "$DIR/pids/node$1-$2.pid"; }
log_file() { echo "$DIR/logs/node$1-$2.log"; }

# The pid in a pid file, if that process is alive and still the one we started
# (its command line names its home directory): guards against pid reuse.
live_pid() { # live_pid I quired|cometbft
  local file pid args
  file="$(pid_file "$1" "$2")"
  [ -f "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  else
    args="$(ps -o args= -p "$pid" 2>/dev/null || true)"
  fi
  case "$args" in
    *"$(node_home "$1" "$2")"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Loads DIR/localnet.env, written by `up`.
load_env() {
  [ -f "$DIR/localnet.env" ] || die "no localnet in $DIR (missing $DIR/localnet.env): run localnet.sh up first"
  # shellcheck disable=SC1091
  source "$DIR/localnet.env"
  NODES="$QUIRE_NODES"
  BASE_PORT="$QUIRE_BASE_PORT"
  CHAIN_ID="$QUIRE_CHAIN_ID"
  QUIRED="$QUIRE_QUIRED_BIN"
  COMETBFT="$QUIRE_COMETBFT_BIN"
  APP="${QUIRE_APP:-quire}"
  L1="${QUIRE_L1:-0}"
  GETH="${QUIRE_GETH_BIN:-$GETH}"
  RELAYER="${QUIRE_RELAYER_BIN:-}"
}

check_node_index() {
  is_uint "$1" || die "node index '$1' is not a number"
  [ "$1" -lt "$NODES" ] || die "node index $1 out of range: this localnet has nodes 0..$((NODES - 1))"
}

# GET an RPC endpoint of node I; prints the body, fails if unreachable.
rpc_get() { # rpc_get I PATH
  curl -sf --max-time 2 "http://127.0.0.1:$(rpc_port "$1")/$2"
}

# A string field from (pretty or compact) JSON on stdin.
json_field() {
  tr -d '\n' | sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"
}

latest_height() { # latest_height I: prints the height, or nothing if RPC is down
  rpc_get "$1" status 2>/dev/null | json_field latest_block_height || true
}

# ------------------------------------------------------ process control ---

start_process() { # start_process I quired|cometbft
  local i="$1" kind="$2" home log
  home="$(node_home "$i" "$kind")"
  log="$(log_file "$i" "$kind")"
  if live_pid "$i" "$kind" >/dev/null; then
    note "node$i $kind already running"
    return 0
  fi
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) localnet: starting node$i $kind" >>"$log"
  # setsid: own session, so a Ctrl-C in this terminal does not reach the node.
  # Without job control the child is not a group leader, so setsid execs in
  # place and $! is the node's own pid.
  case "$kind" in
    quired) setsid nohup "$QUIRED" start --home "$home" >>"$log" 2>&1 </dev/null & ;;
    cometbft) setsid nohup "$COMETBFT" start --home "$home" >>"$log" 2>&1 </dev/null & ;;
    geth)
      setsid nohup "$GETH" --dev --dev.period 1 --datadir "$home/data" \
        --http --http.addr 127.0.0.1 --http.port "$(l1_port)" --http.api eth,net,web3,txpool \
        --port 0 --nodiscover --maxpeers 0 --ipcdisable --authrpc.addr 127.0.0.1 --authrpc.port 0 \
        >>"$log" 2>&1 </dev/null &
      ;;
    relayer)
      local data_mode=()
      # Networks made before the data mode have no data key.
      if [ -f "$home/data.key" ]; then data_mode=(--data-key-file "$home/data.key"); fi
      setsid nohup "$RELAYER" run --quire-api "http://127.0.0.1:$(grpc_port 0)" \
        --l1 "http://127.0.0.1:$(l1_port)" --anchor "$(cat "$home/anchor")" \
        --key-file "$home/relayer.key" --metrics-addr "127.0.0.1:$(relayer_metrics_port)" \
        "${data_mode[@]}" >>"$log" 2>&1 </dev/null &
      ;;
  esac
  echo "$!" >"$(pid_file "$i" "$kind")"
}

# Waits until node I's quired accepts TCP connections on its ABCI port.
wait_for_abci() { # wait_for_abci I
  local i="$1" deadline=$((SECONDS + 30))
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$(abci_port "$i")") 2>/dev/null; do
    sleep 0.2
    if ! live_pid "$i" quired >/dev/null; then
      note "node$i quired exited"
      return 1
    fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
  done
}

# The processes node I runs: quired and cometbft, or cometbft alone for kvstore.
node_kinds() {
  if [ "$APP" = kvstore ]; then echo cometbft; else echo quired cometbft; fi
}

start_node() { # start_node I
  if [ "$APP" = kvstore ]; then
    start_process "$1" cometbft
    return
  fi
  start_process "$1" quired
  wait_for_abci "$1" || {
    note "node$1 quired is not listening on 127.0.0.1:$(abci_port "$1")"
    return 1
  }
  start_process "$1" cometbft
}

# Sends SIG to the listed "I:kind" processes, waits up to STOP_SECS for them to
# exit, then SIGKILLs the rest. Removes their pid files. Never fails.
stop_processes() { # stop_processes SIG I:kind...
  local sig="$1" entry i kind pid pending deadline
  shift
  for entry in "$@"; do
    i="${entry%%:*}" kind="${entry#*:}"
    if pid="$(live_pid "$i" "$kind")"; then
      kill -s "$sig" "$pid" 2>/dev/null || true
      kill -s CONT "$pid" 2>/dev/null || true # a stopped process cannot act on TERM
    fi
  done
  deadline=$((SECONDS + STOP_SECS))
  while :; do
    pending=()
    for entry in "$@"; do
      i="${entry%%:*}" kind="${entry#*:}"
      live_pid "$i" "$kind" >/dev/null && pending+=("$entry")
    done
    [ "${#pending[@]}" -gt 0 ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      for entry in "${pending[@]}"; do
        i="${entry%%:*}" kind="${entry#*:}"
        if pid="$(live_pid "$i" "$kind")"; then
          note "node$i $kind (pid $pid) did not stop within ${STOP_SECS}s: SIGKILL"
          kill -s KILL "$pid" 2>/dev/null || true
        fi
      done
      sleep 0.2
      break
    fi
    sleep 0.2
  done
  for entry in "$@"; do
    i="${entry%%:*}" kind="${entry#*:}"
    live_pid "$i" "$kind" >/dev/null || rm -f "$(pid_file "$i" "$kind")"
  done
}

# Stops every node: CometBFT first (so no block is cut off mid-ABCI), then quired.
stop_all() {
  local i comet=() apps=()
  for ((i = 0; i < NODES; i++)); do
    comet+=("$i:cometbft")
    apps+=("$i:quired")
  done
  if [ "$L1" = 1 ]; then stop_processes TERM l1:relayer; fi
  stop_processes TERM "${comet[@]}"
  stop_processes TERM "${apps[@]}"
  if [ "$L1" = 1 ]; then stop_processes TERM l1:geth; fi
}

l1_rpc() { # l1_rpc METHOD PARAMS-JSON: prints the JSON-RPC answer
  curl -fsS -m 5 -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" \
    "http://127.0.0.1:$(l1_port)"
}

# Starts geth (and the relayer, once the anchor is deployed).
start_l1_processes() {
  local deadline
  start_process l1 geth
  deadline=$((SECONDS + WAIT_SECS))
  until l1_rpc eth_blockNumber '[]' >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.3
  done
  if [ -f "$(node_home l1 relayer)/anchor" ]; then start_process l1 relayer; fi
}

# up --l1: a fresh geth, the anchor deployed, the relayer started.
setup_l1() {
  local geth_home relayer_home setup_log="$DIR/logs/setup.log" deployer relayer_address data_address anchor deadline
  geth_home="$(node_home l1 geth)" relayer_home="$(node_home l1 relayer)"
  "$ROOT/localnet/install-geth.sh" >&2 || die "install-geth.sh failed"
  [ -x "$GETH" ] || die "geth not found at $GETH after install-geth.sh"
  command -v node >/dev/null || die "node (Node.js) is required for --l1"
  note "building quire-relayer"
  (cd "$ROOT" && cargo build -p quire-relayer) || die "cargo build -p quire-relayer failed"
  RELAYER="$(abspath "${CARGO_TARGET_DIR:-$ROOT/target}/debug/quire-relayer")"
  mkdir -p "$geth_home" "$relayer_home"
  # Development keys only: never use them on a real L1.
  printf '0x%064x\n' 1 >"$relayer_home/deployer.key"
  printf '0x%064x\n' 2 >"$relayer_home/relayer.key"
  printf '0x%064x\n' 3 >"$relayer_home/data.key"
  chmod 600 "$relayer_home"/*.key
  deployer="$("$RELAYER" account --key-file "$relayer_home/deployer.key")" || die "quire-relayer account failed"
  relayer_address="$("$RELAYER" account --key-file "$relayer_home/relayer.key")" || die "quire-relayer account failed"
  data_address="$("$RELAYER" account --key-file "$relayer_home/data.key")" || die "quire-relayer account failed"
  "$GETH" --dev dumpgenesis 2>>"$setup_log" | node "$ROOT/localnet/geth-genesis.mjs" "$deployer" "$relayer_address" "$data_address" \
    >"$geth_home/genesis.json" || die "making the L1 genesis failed: see $setup_log"
  "$GETH" --datadir "$geth_home/data" init "$geth_home/genesis.json" >>"$setup_log" 2>&1 ||
    die "geth init failed: see $setup_log"
  L1=1
  write_env
  start_l1_processes || fail_and_stop "geth did not start: see $(log_file l1 geth)"
  note "L1 up: geth http://127.0.0.1:$(l1_port) (chain id 1337); deploying the anchor"
  deadline=$((SECONDS + WAIT_SECS))
  until anchor="$("$RELAYER" deploy --quire-api "http://127.0.0.1:$(grpc_port 0)" \
    --l1 "http://127.0.0.1:$(l1_port)" --key-file "$relayer_home/deployer.key" \
    --artifact "$ROOT/contracts/out/QuireAnchor.json" 2>>"$setup_log" | tail -n 1)" && [ -n "$anchor" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail_and_stop "deploying the anchor failed: $(tail -n 3 "$setup_log")"
    sleep 1
  done
  echo "$anchor" >"$relayer_home/anchor"
  write_env
  start_process l1 relayer
}

show_logs() { # show_logs I quired|cometbft|both LINES
  local kind
  for kind in quired cometbft; do
    if [ "$2" = both ] || [ "$2" = "$kind" ]; then
      echo "----- node$1 $kind: last $3 lines of $(log_file "$1" "$kind")"
      tail -n "$3" "$(log_file "$1" "$kind")" 2>/dev/null || echo "(no log)"
    fi
  done
}

# Waits until each listed node's RPC reports a height of at least
# max(2, first height seen + 1): a fresh network has committed blocks, a
# resumed one is producing new ones. Fails after WAIT_SECS.
wait_for_blocks() { # wait_for_blocks I...
  local i h kind deadline=$((SECONDS + WAIT_SECS)) pending
  local -A target=()
  note "waiting up to ${WAIT_SECS}s for blocks on node(s) $*"
  while :; do
    pending=0
    for i in "$@"; do
      h="$(latest_height "$i")"
      if [ -z "$h" ]; then
        pending=1
        continue
      fi
      if [ -z "${target[$i]:-}" ]; then
        target[$i]=$((h + 1 > 2 ? h + 1 : 2))
      fi
      [ "$h" -ge "${target[$i]}" ] || pending=1
    done
    [ "$pending" = 1 ] || return 0
    for i in "$@"; do
      for kind in $(node_kinds); do
        if ! live_pid "$i" "$kind" >/dev/null; then
          note "node$i $kind exited"
          return 1
        fi
      done
    done
    [ "$SECONDS" -lt "$deadline" ] || {
      note "timed out after ${WAIT_SECS}s"
      return 1
    }
    sleep 1
  done
}

# Prints log tails of the given nodes and stops the whole network.
fail_and_stop() { # fail_and_stop MESSAGE I...
  local message="$1" i
  shift
  for i in "$@"; do
    show_logs "$i" both 40 >&2
  done
  note "stopping the network"
  stop_all
  die "$message"
}

# --------------------------------------------------------------- configs ---

# Writes node I's CometBFT config.toml, replacing the one `cometbft init` made.
# Keys and sections are those of CometBFT v0.38's config.toml; docs/localnet.md
# says why each non-default value is set.
write_cometbft_config() { # write_cometbft_config I PERSISTENT_PEERS
  local i="$1" peers="$2" version proxy_app="tcp://127.0.0.1:$(abci_port "$1")"
  version="$(tr -d '[:space:]v' <"$ROOT/localnet/COMETBFT_VERSION")"
  [ "$APP" = kvstore ] && proxy_app=kvstore
  cat >"$(node_home "$i" cometbft)/config/config.toml" <<EOF
# CometBFT config for Quire localnet node$i, written by localnet/localnet.sh.
# Non-default values are explained in docs/localnet.md.
version = "$version"

proxy_app = "$proxy_app"
moniker = "node$i"
db_backend = "goleveldb"
db_dir = "data"
log_level = "info"
log_format = "plain"
genesis_file = "config/genesis.json"
priv_validator_key_file = "config/priv_validator_key.json"
priv_validator_state_file = "data/priv_validator_state.json"
priv_validator_laddr = ""
node_key_file = "config/node_key.json"
abci = "socket"
filter_peers = false
event_bus_buffer_capacity = 0

[rpc]
laddr = "tcp://127.0.0.1:$(rpc_port "$i")"
cors_allowed_origins = []
cors_allowed_methods = ["HEAD", "GET", "POST", ]
cors_allowed_headers = ["Origin", "Accept", "Content-Type", "X-Requested-With", "X-Server-Time", ]
grpc_laddr = ""
grpc_max_open_connections = 900
unsafe = false
max_open_connections = 900
max_subscription_clients = 100
max_subscriptions_per_client = 5
experimental_subscription_buffer_size = 200
experimental_websocket_write_buffer_size = 200
experimental_close_on_slow_client = false
# Committing a 2.5 MiB tx can take a few blocks under load.
timeout_broadcast_tx_commit = "30s"
max_request_batch_size = 10
# A max-size tx (2.5 MiB) is ~3.5 MB as base64 in a JSON-RPC body.
max_body_bytes = 10485760
# Room for a max-size tx (2.5 MiB) hex-encoded in a GET broadcast_tx_sync URL.
max_header_bytes = 8388608
tls_cert_file = ""
tls_key_file = ""
pprof_laddr = ""

[p2p]
laddr = "tcp://127.0.0.1:$(p2p_port "$i")"
external_address = ""
seeds = ""
persistent_peers = "$peers"
addr_book_file = "config/addrbook.json"
# Loopback addresses are not routable: accept them anyway.
addr_book_strict = false
max_num_inbound_peers = 40
max_num_outbound_peers = 10
unconditional_peer_ids = ""
persistent_peers_max_dial_period = "0s"
flush_throttle_timeout = "100ms"
# Bigger packets and 50 MB/s links so megabyte blocks gossip quickly.
max_packet_msg_payload_size = 10240
send_rate = 52428800
recv_rate = 52428800
# The peer list is fixed: no peer exchange.
pex = false
seed_mode = false
private_peer_ids = ""
# All nodes share 127.0.0.1.
allow_duplicate_ip = true
handshake_timeout = "20s"
dial_timeout = "3s"

[mempool]
type = "flood"
recheck = true
recheck_timeout = "1s"
broadcast = true
wal_dir = ""
size = 10000
max_txs_bytes = $MEMPOOL_MAX_TXS_BYTES
cache_size = 10000
keep-invalid-txs-in-cache = false
max_tx_bytes = $MAX_TX_BYTES
max_batch_bytes = 0
experimental_max_gossip_connections_to_persistent_peers = 0
experimental_max_gossip_connections_to_non_persistent_peers = 0

[statesync]
enable = false
rpc_servers = ""
trust_height = 0
trust_hash = ""
trust_period = "168h0m0s"
discovery_time = "15s"
temp_dir = ""
chunk_request_timeout = "10s"
chunk_fetchers = "4"
max_snapshot_chunks = 100000

[blocksync]
version = "v0"

[consensus]
wal_file = "data/cs.wal/wal"
timeout_propose = "$TIMEOUT_PROPOSE"
timeout_propose_delta = "500ms"
timeout_prevote = "1s"
timeout_prevote_delta = "500ms"
timeout_precommit = "1s"
timeout_precommit_delta = "500ms"
# Short block interval for tests.
timeout_commit = "$TIMEOUT_COMMIT"
double_sign_check_height = 0
skip_timeout_commit = false
create_empty_blocks = true
create_empty_blocks_interval = "0s"
peer_gossip_sleep_duration = "100ms"
peer_query_maj23_sleep_duration = "2s"
block_time_tolerance = "1m0s"

[storage]
discard_abci_responses = false

[tx_index]
indexer = "$TX_INDEXER"
psql-conn = ""

[instrumentation]
prometheus = true
prometheus_listen_addr = "127.0.0.1:$(prom_port "$i")"
max_open_connections = 3
namespace = "cometbft"
EOF
}

write_env() {
  local i name
  {
    echo "# Quire localnet, written by localnet/localnet.sh up. Source it in scripts."
    printf 'QUIRE_CHAIN_ID=%q\n' "$CHAIN_ID"
    printf 'QUIRE_NODES=%q\n' "$NODES"
    for ((i = 0; i < NODES; i++)); do
      printf 'QUIRE_RPC_%d=%q\n' "$i" "http://127.0.0.1:$(rpc_port "$i")"
    done
    for ((i = 0; i < NODES; i++)); do
      printf 'QUIRE_GRPC_%d=%q\n' "$i" "http://127.0.0.1:$(grpc_port "$i")"
      printf 'QUIRED_METRICS_%d=%q\n' "$i" "http://127.0.0.1:$(quired_metrics_port "$i")/metrics"
    done
    for ((i = 0; i < NODES; i++)); do
      printf 'QUIRE_API_%d=%q\n' "$i" "http://127.0.0.1:$(http_port "$i")"
    done
    printf 'QUIRE_KEYRING_HOME=%q\n' "$DIR/client"
    for name in "${ACCOUNTS[@]}"; do
      printf 'QUIRE_ACCOUNT_%s=%q\n' "${name^^}" "${ADDRESSES[$name]}"
    done
    printf 'QUIRE_LOCALNET_DIR=%q\n' "$DIR"
    printf 'QUIRE_BASE_PORT=%q\n' "$BASE_PORT"
    printf 'QUIRE_QUIRED_BIN=%q\n' "$QUIRED"
    printf 'QUIRE_COMETBFT_BIN=%q\n' "$COMETBFT"
    printf 'QUIRE_APP=%q\n' "$APP"
    printf 'QUIRE_L1=%q\n' "$L1"
    if [ "$L1" = 1 ]; then
      printf 'QUIRE_L1_RPC=%q\n' "http://127.0.0.1:$(l1_port)"
      printf 'QUIRE_GETH_BIN=%q\n' "$GETH"
      printf 'QUIRE_RELAYER_BIN=%q\n' "$RELAYER"
      printf 'QUIRE_RELAYER_METRICS=%q\n' "http://127.0.0.1:$(relayer_metrics_port)/metrics"
      if [ -f "$(node_home l1 relayer)/anchor" ]; then
        printf 'QUIRE_ANCHOR=%q\n' "$(cat "$(node_home l1 relayer)/anchor")"
      fi
    fi
  } >"$DIR/localnet.env"
}

print_summary() {
  local i name
  echo
  echo "Quire localnet is up: chain id $CHAIN_ID, $NODES validators, app $APP"
  for ((i = 0; i < NODES; i++)); do
    echo "  node$i  rpc http://127.0.0.1:$(rpc_port "$i")  p2p 127.0.0.1:$(p2p_port "$i")  abci tcp://127.0.0.1:$(abci_port "$i")  metrics http://127.0.0.1:$(prom_port "$i")/metrics"
    [ "$APP" = quire ] && echo "         read API: grpc http://127.0.0.1:$(grpc_port "$i")  http http://127.0.0.1:$(http_port "$i")  quired metrics http://127.0.0.1:$(quired_metrics_port "$i")/metrics"
    [ "$APP" = quire ] && echo "         explorer http://127.0.0.1:$(http_port "$i")/explorer"
    echo "         homes $(node_home "$i" cometbft)  $(node_home "$i" quired)"
  done
  echo "  keyring: quired ... --home $DIR/client   (keys in $DIR/client/keyring, unencrypted)"
  for name in "${ACCOUNTS[@]}"; do
    echo "    $name  ${ADDRESSES[$name]}  $ACCOUNT_BALANCE uquire"
  done
  echo "  genesis: $DIR/genesis.json"
  echo "  logs:    $DIR/logs   pids: $DIR/pids"
  echo "  env:     $DIR/localnet.env"
  if [ "$L1" = 1 ]; then
    echo "  L1:      geth http://127.0.0.1:$(l1_port) (chain id 1337)  anchor $(cat "$(node_home l1 relayer)/anchor" 2>/dev/null)"
    echo "           relayer metrics http://127.0.0.1:$(relayer_metrics_port)/metrics  logs $(log_file l1 geth) $(log_file l1 relayer)"
  fi
  echo "Stop with: $0 down --dir $DIR"
}

# ------------------------------------------------------------- commands ---

parse_common() { # sets DIR, CLEAN, SIGNAL, LINES, FOLLOW, POSITIONAL from "$@"
  POSITIONAL=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) [ $# -ge 2 ] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
      --dir=*) DIR="${1#*=}"; shift ;;
      --clean) CLEAN=1; shift ;;
      --signal) [ $# -ge 2 ] || die "--signal needs a value"; SIGNAL="$2"; shift 2 ;;
      --lines) [ $# -ge 2 ] || die "--lines needs a value"; LINES="$2"; shift 2 ;;
      --follow | -f) FOLLOW=1; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) die "unknown option $1 for '$COMMAND' (see $0 --help)" ;;
      *) POSITIONAL+=("$1"); shift ;;
    esac
  done
  DIR="$(abspath "$DIR")"
}

cmd_up() {
  local release=0 i name v peers j accounts_file="" staking_params="" line anchored=1 with_l1=0 encrypted=1 encryption_expiry="" dkg_phase="" dkg_key=""
  SNAPSHOT_INTERVAL=0
  SNAPSHOT_INDEX_HEIGHTS=100
  NODES=4 BASE_PORT=26600 CHAIN_ID=quire-localnet APP=quire
  while [ $# -gt 0 ]; do
    case "$1" in
      --nodes) [ $# -ge 2 ] || die "--nodes needs a value"; NODES="$2"; shift 2 ;;
      --dir) [ $# -ge 2 ] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
      --base-port) [ $# -ge 2 ] || die "--base-port needs a value"; BASE_PORT="$2"; shift 2 ;;
      --chain-id) [ $# -ge 2 ] || die "--chain-id needs a value"; CHAIN_ID="$2"; shift 2 ;;
      --release) release=1; shift ;;
      --app) [ $# -ge 2 ] || die "--app needs a value"; APP="$2"; shift 2 ;;
      --accounts-file) [ $# -ge 2 ] || die "--accounts-file needs a value"; accounts_file="$2"; shift 2 ;;
      --staking-params) [ $# -ge 2 ] || die "--staking-params needs a value"; staking_params="$2"; shift 2 ;;
      --no-l1) anchored=0; shift ;;
      --no-encryption) encrypted=0; shift ;;
      --encryption-expiry) [ $# -ge 2 ] || die "--encryption-expiry needs a value"; encryption_expiry="$2"; shift 2 ;;
      --encryption-dkg) [ $# -ge 2 ] || die "--encryption-dkg needs a value"; dkg_phase="$2"; shift 2 ;;
      --l1) with_l1=1; shift ;;
      --snapshot-interval) [ $# -ge 2 ] || die "--snapshot-interval needs a value"; SNAPSHOT_INTERVAL="$2"; shift 2 ;;
      --snapshot-index-heights) [ $# -ge 2 ] || die "--snapshot-index-heights needs a value"; SNAPSHOT_INDEX_HEIGHTS="$2"; shift 2 ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument $1 for 'up' (see $0 --help)" ;;
    esac
  done
  [[ "$SNAPSHOT_INTERVAL" =~ ^[0-9]+$ ]] || die "--snapshot-interval $SNAPSHOT_INTERVAL: expected a number of heights (0: none)"
  [[ "$SNAPSHOT_INDEX_HEIGHTS" =~ ^[0-9]+$ ]] || die "--snapshot-index-heights $SNAPSHOT_INDEX_HEIGHTS: expected a number of heights (0: none)"
  if [ "$VOTE_EXTENSIONS_HEIGHT" != 1 ]; then anchored=0 encrypted=0; fi
  if [ -n "$encryption_expiry" ]; then
    [[ "$encryption_expiry" =~ ^[0-9]+:[0-9]+$ ]] ||
      die "--encryption-expiry $encryption_expiry: expected BLOCKS:COUNT (E and K, e.g. 4:2)"
    [ "$encrypted" = 1 ] || die "--encryption-expiry needs blind ordering: drop --no-encryption"
  fi
  if [ -n "$dkg_phase" ]; then
    [[ "$dkg_phase" =~ ^[0-9]+$ ]] || die "--encryption-dkg $dkg_phase: expected a number of blocks per phase (e.g. 3)"
    [ "$encrypted" = 1 ] || die "--encryption-dkg needs blind ordering: drop --no-encryption"
  fi
  if [ "$with_l1" = 1 ] && [ "$anchored" = 0 ]; then
    die "--l1 needs an anchored chain: drop --no-l1 (and LOCALNET_VOTE_EXTENSIONS=off)"
  fi
  if [ "$with_l1" = 1 ] && [ "$BASE_PORT" -lt 1034 ]; then
    die "--l1 uses the ports below --base-port: give a base port of 1034 or more"
  fi
  if ! { is_uint "$NODES" && [ "$NODES" -ge 1 ] && [ "$NODES" -le 50 ]; }; then
    die "--nodes $NODES: expected a number from 1 to 50"
  fi
  if ! { is_uint "$BASE_PORT" && [ "$BASE_PORT" -ge 1024 ]; }; then
    die "--base-port $BASE_PORT: expected a number from 1024 up"
  fi
  [ $((BASE_PORT + 10 * (NODES - 1) + 6)) -le 65535 ] || die "--base-port $BASE_PORT: node$((NODES - 1))'s ports would exceed 65535"
  is_uint "$WAIT_SECS" || die "LOCALNET_WAIT_SECS=$WAIT_SECS: expected a number of seconds"
  case "$APP" in
    quire | kvstore) ;;
    *) die "--app $APP: expected quire or kvstore" ;;
  esac
  if [ -n "$accounts_file" ]; then
    [ -r "$accounts_file" ] || die "--accounts-file $accounts_file: cannot read it"
  fi
  if [ -n "$staking_params" ]; then
    [ -r "$staking_params" ] || die "--staking-params $staking_params: cannot read it"
    staking_params="$(abspath "$staking_params")"
  fi
  DIR="$(abspath "$DIR")"

  # Refuse to touch a running network, or a directory that is not a localnet.
  if [ -f "$DIR/localnet.env" ]; then
    (
      load_env
      for ((i = 0; i < NODES; i++)); do
        for kind in quired cometbft; do
          if live_pid "$i" "$kind" >/dev/null; then
            die "$DIR has a running network (node$i $kind): run '$0 down --dir $DIR' first"
          fi
        done
      done
    )
  elif [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && [ ! -d "$DIR/node0" ]; then
    die "$DIR exists and is not a localnet directory: refusing to wipe it"
  fi
  command -v curl >/dev/null || die "curl is required"
  command -v setsid >/dev/null || die "setsid (util-linux) is required"

  "$ROOT/localnet/install-cometbft.sh" >&2
  [ -x "$COMETBFT" ] || die "cometbft not found at $COMETBFT after install-cometbft.sh"
  if [ -n "${QUIRED_BIN:-}" ]; then
    QUIRED="$(abspath "$QUIRED_BIN")"
    [ -x "$QUIRED" ] || die "QUIRED_BIN=$QUIRED_BIN is not an executable file"
    note "using quired at $QUIRED (QUIRED_BIN)"
  else
    local profile=debug flags=()
    if [ "$release" = 1 ]; then
      profile=release flags=(--release)
    fi
    note "building quired ($profile)"
    (cd "$ROOT" && cargo build -p quired "${flags[@]}") || die "cargo build -p quired failed"
    QUIRED="${CARGO_TARGET_DIR:-$ROOT/target}/$profile/quired"
    QUIRED="$(abspath "$QUIRED")"
    [ -x "$QUIRED" ] || die "built quired not found at $QUIRED"
  fi

  note "creating a $NODES-node network in $DIR"
  rm -rf "$DIR"
  mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/client"
  local setup_log="$DIR/logs/setup.log"
  for ((i = 0; i < NODES; i++)); do
    "$COMETBFT" init --home "$(node_home "$i" cometbft)" >>"$setup_log" 2>&1 ||
      die "cometbft init for node$i failed: see $setup_log"
    "$QUIRED" init --home "$(node_home "$i" quired)" --chain-id "$CHAIN_ID" \
      --abci-addr "tcp://127.0.0.1:$(abci_port "$i")" \
      --cometbft-rpc "http://127.0.0.1:$(rpc_port "$i")" \
      --grpc-addr "127.0.0.1:$(grpc_port "$i")" \
      --http-addr "127.0.0.1:$(http_port "$i")" \
      --metrics-addr "127.0.0.1:$(quired_metrics_port "$i")" \
      --snapshot-interval "$SNAPSHOT_INTERVAL" \
      --snapshot-index-heights "$SNAPSHOT_INDEX_HEIGHTS" >>"$setup_log" 2>&1 ||
      die "quired init for node$i failed: see $setup_log"
  done

  declare -gA ADDRESSES=()
  local genesis_args=(--chain-id "$CHAIN_ID" --out "$DIR/genesis.json" --block-max-bytes "$BLOCK_MAX_BYTES"
    --vote-extensions-enable-height "$VOTE_EXTENSIONS_HEIGHT")
  for name in "${ACCOUNTS[@]}"; do
    ADDRESSES[$name]="$("$QUIRED" keys add "$name" --keyring-backend test --no-backup --home "$DIR/client" 2>>"$setup_log")" ||
      die "quired keys add $name failed: see $setup_log"
    genesis_args+=(--account "${ADDRESSES[$name]}:$ACCOUNT_BALANCE")
  done
  if [ -n "$accounts_file" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      line="${line%%#*}"
      line="${line//[[:space:]]/}"
      [ -n "$line" ] && genesis_args+=(--account "$line")
    done <"$accounts_file"
  fi
  for ((i = 0; i < NODES; i++)); do
    v="$("$COMETBFT" show-validator --home "$(node_home "$i" cometbft)" | json_field value || true)"
    [ -n "$v" ] || die "cannot read node$i's validator key with cometbft show-validator"
    # node$i's operator: a key in the client keyring, funded, self-bonding
    # 10 × 10^6 (power 10) at genesis.
    operator="$("$QUIRED" keys add "node$i" --keyring-backend test --no-backup --home "$DIR/client" 2>>"$setup_log")" ||
      die "quired keys add node$i failed: see $setup_log"
    genesis_args+=(--account "$operator:$ACCOUNT_BALANCE" --validator "$v:$operator:10:node$i")
    # Its L1 checkpoint key (made by quired init), proven for the operator.
    l1_signer="$("$QUIRED" l1 key-proof --home "$(node_home "$i" quired)" --operator "$operator" \
      --chain-id "$CHAIN_ID" --l1-chain-id "$L1_CHAIN_ID" 2>>"$setup_log")" ||
      die "quired l1 key-proof for node$i failed: see $setup_log"
    if [ "$anchored" = 1 ]; then genesis_args+=(--l1-signer "$l1_signer"); fi
    if [ -n "$dkg_phase" ]; then
      dkg_key="$(json_field public <"$(node_home "$i" quired)/config/dkg_key.json")"
      [ -n "$dkg_key" ] || die "cannot read node$i's key-generation keys from its dkg_key.json"
      genesis_args+=(--encryption-dkg-player "$v:$dkg_key")
    fi
  done
  if [ "$anchored" = 1 ]; then genesis_args+=(--l1-chain-id "$L1_CHAIN_ID"); fi
  if [ -n "$dkg_phase" ]; then
    genesis_args+=(--encryption-dkg-phase-blocks "$dkg_phase")
  elif [ "$encrypted" = 1 ]; then
    genesis_args+=(--encryption-dealer "$DIR/dealer")
  fi
  if [ -n "$encryption_expiry" ]; then
    genesis_args+=(--encryption-expiry-blocks "${encryption_expiry%%:*}"
      --encryption-expiries-to-disable "${encryption_expiry##*:}")
  fi
  [ -n "$staking_params" ] && genesis_args+=(--staking-params "$staking_params")
  "$QUIRED" genesis create "${genesis_args[@]}" >>"$setup_log" 2>&1 ||
    die "quired genesis create failed: $(tail -n 3 "$setup_log")"
  if [ "$encrypted" = 1 ] && [ -z "$dkg_phase" ]; then
    for ((i = 0; i < NODES; i++)); do
      mv "$DIR/dealer/encryption_share_$i.json" "$(node_home "$i" quired)/config/encryption_share.json" ||
        die "cannot install node$i's encryption key share"
    done
    rmdir "$DIR/dealer"
  fi

  local ids=() id
  for ((i = 0; i < NODES; i++)); do
    id="$("$COMETBFT" show-node-id --home "$(node_home "$i" cometbft)")" ||
      die "cannot read node$i's node id with cometbft show-node-id"
    ids+=("$id")
  done
  for ((i = 0; i < NODES; i++)); do
    cp "$DIR/genesis.json" "$(node_home "$i" cometbft)/config/genesis.json"
    peers=""
    for ((j = 0; j < NODES; j++)); do
      [ "$j" = "$i" ] && continue
      peers+="${peers:+,}${ids[$j]}@127.0.0.1:$(p2p_port "$j")"
    done
    write_cometbft_config "$i" "$peers"
  done
  write_env

  local all=()
  trap 'fail_and_stop "interrupted" ${all[*]:-}' INT TERM
  for ((i = 0; i < NODES; i++)); do
    all+=("$i")
    start_node "$i" || fail_and_stop "node$i failed to start" "$i"
  done
  wait_for_blocks "${all[@]}" || fail_and_stop "the network did not reach height 2" "${all[@]}"
  if [ "$with_l1" = 1 ]; then setup_l1; fi
  trap - INT TERM
  print_summary
}

cmd_down() {
  parse_common "$@"
  [ "${#POSITIONAL[@]}" -eq 0 ] || die "down takes no positional arguments"
  if [ ! -f "$DIR/localnet.env" ]; then
    note "no localnet in $DIR: nothing to stop"
    return 0
  fi
  load_env
  stop_all
  note "stopped the localnet in $DIR"
  if [ "$CLEAN" = 1 ]; then
    rm -rf "$DIR"
    note "removed $DIR"
  fi
}

cmd_start() {
  parse_common "$@"
  [ "${#POSITIONAL[@]}" -eq 0 ] || die "start takes no positional arguments"
  load_env
  local i all=()
  for ((i = 0; i < NODES; i++)); do
    all+=("$i")
    start_node "$i" || fail_and_stop "node$i failed to start" "$i"
  done
  wait_for_blocks "${all[@]}" || fail_and_stop "the network is not producing blocks" "${all[@]}"
  if [ "$L1" = 1 ]; then
    start_l1_processes || fail_and_stop "geth did not start: see $(log_file l1 geth)" "${all[@]}"
  fi
  note "all $NODES nodes are running"
}

cmd_status() {
  parse_common "$@"
  load_env
  local i kind pid state hash abci info abci_hash abci_height
  echo "localnet $DIR: chain id $CHAIN_ID, $NODES nodes"
  for ((i = 0; i < NODES; i++)); do
    state=""
    for kind in $(node_kinds); do
      if pid="$(live_pid "$i" "$kind")"; then
        state+="$kind running (pid $pid)  "
      else
        state+="$kind stopped  "
      fi
    done
    if info="$(rpc_get "$i" status 2>/dev/null)"; then
      hash="$(printf '%s' "$info" | json_field latest_app_hash)"
      abci="$(rpc_get "$i" abci_info 2>/dev/null || true)"
      abci_height="$(printf '%s' "$abci" | json_field last_block_height)"
      abci_hash="$(printf '%s' "$abci" | json_field last_block_app_hash | base64 -d 2>/dev/null | od -An -tx1 | tr -d ' \n' | tr a-f A-F || true)"
      # /status shows the latest header, whose app hash is the state after the
      # block before it; /abci_info shows the app's state after the latest block.
      echo "node$i  ${state}height $(printf '%s' "$info" | json_field latest_block_height) header_app_hash ${hash:-?}  app_height ${abci_height:-?} app_hash ${abci_hash:-?}"
    else
      echo "node$i  ${state}rpc http://127.0.0.1:$(rpc_port "$i") unreachable"
    fi
  done
}

cmd_kill() {
  parse_common "$@"
  load_env
  [ "${#POSITIONAL[@]}" -ge 1 ] || die "usage: kill I [quired|cometbft|both] [--signal SIG]"
  local i="${POSITIONAL[0]}" which="${POSITIONAL[1]:-both}" sig="${SIGNAL#SIG}" kind pid targets=()
  check_node_index "$i"
  case "$which" in
    quired | cometbft) targets=("$which") ;;
    both) targets=(cometbft quired) ;;
    *) die "kill: '$which' is not quired, cometbft or both" ;;
  esac
  kill -l "$sig" >/dev/null 2>&1 || die "--signal $SIGNAL: unknown signal"
  for kind in "${targets[@]}"; do
    if pid="$(live_pid "$i" "$kind")"; then
      kill -s "$sig" "$pid"
      note "sent SIG$sig to node$i $kind (pid $pid)"
    else
      note "node$i $kind is not running"
    fi
  done
  case "$sig" in
    KILL | TERM | INT | QUIT) ;;
    *) return 0 ;; # e.g. STOP: the process stays
  esac
  local deadline=$((SECONDS + STOP_SECS))
  for kind in "${targets[@]}"; do
    while live_pid "$i" "$kind" >/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    if live_pid "$i" "$kind" >/dev/null; then
      note "node$i $kind is still running after ${STOP_SECS}s"
    else
      rm -f "$(pid_file "$i" "$kind")"
    fi
  done
}

cmd_restart() {
  parse_common "$@"
  load_env
  [ "${#POSITIONAL[@]}" -eq 1 ] || die "usage: restart I [--dir DIR]"
  local i="${POSITIONAL[0]}"
  check_node_index "$i"
  stop_processes TERM "$i:cometbft"
  stop_processes TERM "$i:quired"
  start_node "$i" || {
    show_logs "$i" both 40 >&2
    die "node$i failed to start"
  }
  wait_for_blocks "$i" || {
    show_logs "$i" both 40 >&2
    die "node$i is not getting new blocks"
  }
  note "node$i restarted"
}

cmd_logs() {
  parse_common "$@"
  load_env
  [ "${#POSITIONAL[@]}" -ge 1 ] || die "usage: logs I [quired|cometbft] [--lines N] [--follow]"
  local i="${POSITIONAL[0]}" which="${POSITIONAL[1]:-both}" files=()
  check_node_index "$i"
  is_uint "$LINES" || die "--lines $LINES: expected a number"
  case "$which" in
    quired | cometbft) files=("$(log_file "$i" "$which")") ;;
    both) files=("$(log_file "$i" quired)" "$(log_file "$i" cometbft)") ;;
    *) die "logs: '$which' is not quired or cometbft" ;;
  esac
  if [ "$FOLLOW" = 1 ]; then
    exec tail -n "$LINES" -F "${files[@]}"
  fi
  tail -n "$LINES" "${files[@]}"
}

# Prints node I's CometBFT consensus key (base64).
consensus_key() { # consensus_key I
  "$COMETBFT" show-validator --home "$(node_home "$1" cometbft)" | json_field value
}

cmd_add_validator() {
  local self_bond=10000000 i j id peers="" operator pubkey name var deadline
  local rest=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --self-bond) [ $# -ge 2 ] || die "--self-bond needs a value"; self_bond="$2"; shift 2 ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  is_uint "$self_bond" || die "--self-bond '$self_bond' is not a whole number"
  parse_common "${rest[@]+"${rest[@]}"}"
  [ "${#POSITIONAL[@]}" -eq 0 ] || die "add-validator takes no positional arguments"
  load_env
  [ "$APP" = quire ] || die "add-validator needs a quire localnet, this one runs $APP"
  for name in "${ACCOUNTS[@]}"; do
    var="QUIRE_ACCOUNT_${name^^}"
    ADDRESSES[$name]="${!var}"
  done
  i="$NODES"
  local setup_log="$DIR/logs/setup.log" client=(--home "$DIR/client" --node "http://127.0.0.1:$(rpc_port 0)")
  note "adding node$i: it block-syncs, then bonds $self_bond uquire as a validator"
  "$COMETBFT" init --home "$(node_home "$i" cometbft)" >>"$setup_log" 2>&1 ||
    die "cometbft init for node$i failed: see $setup_log"
  "$QUIRED" init --home "$(node_home "$i" quired)" --chain-id "$CHAIN_ID" \
    --abci-addr "tcp://127.0.0.1:$(abci_port "$i")" \
    --cometbft-rpc "http://127.0.0.1:$(rpc_port "$i")" \
    --grpc-addr "127.0.0.1:$(grpc_port "$i")" \
    --http-addr "127.0.0.1:$(http_port "$i")" \
    --metrics-addr "127.0.0.1:$(quired_metrics_port "$i")" >>"$setup_log" 2>&1 ||
    die "quired init for node$i failed: see $setup_log"
  cp "$DIR/genesis.json" "$(node_home "$i" cometbft)/config/genesis.json"
  for ((j = 0; j < NODES; j++)); do
    id="$("$COMETBFT" show-node-id --home "$(node_home "$j" cometbft)")" ||
      die "cannot read node$j's node id"
    peers+="${peers:+,}$id@127.0.0.1:$(p2p_port "$j")"
  done
  write_cometbft_config "$i" "$peers"
  NODES=$((NODES + 1))
  write_env
  start_node "$i" || fail_and_stop "node$i failed to start" "$i"
  deadline=$((SECONDS + ${LOCALNET_WAIT_SECS:-120}))
  until rpc_get "$i" status 2>/dev/null | tr -d '\n ' | grep -q '"catching_up":false' &&
    [ "$(latest_height "$i")" -ge "$(latest_height 0)" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail_and_stop "node$i did not catch up in time" "$i"
    sleep 0.5
  done
  note "node$i caught up at height $(latest_height "$i")"
  operator="$("$QUIRED" keys add "node$i" --keyring-backend test --no-backup --home "$DIR/client" 2>>"$setup_log")" ||
    die "quired keys add node$i failed: see $setup_log"
  "$QUIRED" tx send --from alice --to "$operator" --amount $((self_bond + 1000000)) --wait \
    "${client[@]}" >>"$setup_log" 2>&1 || die "funding node$i's operator failed: $(tail -n 3 "$setup_log")"
  pubkey="$(consensus_key "$i")"
  [ -n "$pubkey" ] || die "cannot read node$i's validator key with cometbft show-validator"
  # On an anchored chain the validator registers its node's L1 key with it.
  local l1_key=()
  if grep -q '"l1": *{' "$DIR/genesis.json"; then
    l1_key=(--l1-key "$(node_home "$i" quired)/config/l1_signer_key.json")
  fi
  # On a chain that generates its encryption keys it registers its node's
  # key-generation keys with it (a new round then includes it).
  local dkg_key=()
  if grep -q '"dkg": *{' "$DIR/genesis.json"; then
    dkg_key=(--dkg-key "$(node_home "$i" quired)/config/dkg_key.json")
  fi
  "$QUIRED" tx staking create-validator --from "node$i" --pubkey "$pubkey" --amount "$self_bond" \
    --moniker "node$i" "${l1_key[@]+"${l1_key[@]}"}" "${dkg_key[@]+"${dkg_key[@]}"}" \
    --wait "${client[@]}" >>"$setup_log" 2>&1 ||
    die "create-validator for node$i failed: $(tail -n 3 "$setup_log")"
  note "node$i is a validator: operator $operator ($("$QUIRED" keys show "node$i" --home "$DIR/client" --address 2>/dev/null || echo "$operator")), consensus key $pubkey; it signs from two blocks after its bond"
}

main() {
  COMMAND="${1:-}"
  [ $# -gt 0 ] && shift
  DIR="$ROOT/.localnet" CLEAN=0 SIGNAL=TERM LINES=50 FOLLOW=0
  declare -gA ADDRESSES=()
  case "$COMMAND" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    start) cmd_start "$@" ;;
    status) cmd_status "$@" ;;
    kill) cmd_kill "$@" ;;
    restart) cmd_restart "$@" ;;
    logs) cmd_logs "$@" ;;
    add-validator) cmd_add_validator "$@" ;;
    "" | -h | --help | help) usage ;;
    *) die "unknown command '$COMMAND' (see $0 --help)" ;;
  esac
}

main "$@"
