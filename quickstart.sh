#!/usr/bin/env bash
# Quire in one command: builds quired, CometBFT and geth (from source), starts a
# local 4-validator network on 127.0.0.1 anchored on a local L1 (geth --dev,
# the QuireAnchor contract, quire-relayer), submits a blob for the rollup
# "my-rollup", reads it back by namespace verified against the validator set,
# then verified on the L1 against the anchor at its finalized block. The
# network keeps running afterwards; stop it with `./localnet/localnet.sh down`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# A network left by an earlier run is stopped first (its data is replaced).
./localnet/localnet.sh down --dir .localnet >/dev/null 2>&1 || true
./localnet/localnet.sh up --l1 "$@"
# shellcheck disable=SC1091
source .localnet/localnet.env
quired=./target/debug/quired
[ -n "${QUIRED_BIN:-}" ] && quired="$QUIRED_BIN"

echo
echo "== submitting a blob for rollup 'my-rollup' from alice"
out="$("$quired" tx submit-blob --home "$QUIRE_KEYRING_HOME" --node "$QUIRE_RPC_0" \
  --from alice --rollup my-rollup --data "hello from my-rollup" --wait --output json)"
echo "$out"
height="$(echo "$out" | sed -n 's/.*"height":\([0-9]*\).*/\1/p')"

echo
echo "== reading rollup 'my-rollup' at height $height from another validator's read API, verified"
echo "   against the genesis validator set (signed header -> data hash -> commitment -> namespace proof)"
"$quired" query blobs --api "$QUIRE_GRPC_1" --genesis .localnet/genesis.json --rollup my-rollup --height "$height"

echo
echo "== the same read verified on the L1: height $height's namespace proof against the history root"
echo "   the anchor $QUIRE_ANCHOR holds at geth's finalized block (dev mode finalizes every 32 blocks:"
echo "   this can take a minute)"
"$quired" query blobs --api "$QUIRE_GRPC_1" --genesis .localnet/genesis.json --rollup my-rollup --height "$height" \
  --l1 "$QUIRE_L1_RPC" --anchor "$QUIRE_ANCHOR"

echo
echo "Quire is running. Try:"
echo "  $quired query follow --api $QUIRE_GRPC_0 --genesis .localnet/genesis.json --rollup my-rollup --from 1 --count 5"
echo "  curl $QUIRE_API_0/v1/namespaces/$(printf %s my-rollup | sha256sum | cut -c1-64)/heights/$height"
echo "  $quired query account $(echo "$out" | sed -n 's/.*"signer":"\([a-z0-9]*\)".*/\1/p') --node $QUIRE_RPC_2 --verify --genesis .localnet/genesis.json"
echo "  curl -s $QUIRE_RELAYER_METRICS | grep quire_relayer_"
echo "Status: ./localnet/localnet.sh status    Stop: ./localnet/localnet.sh down"
