#!/usr/bin/env bash
# Runs Quire's whole default test suite: installs what it needs (the pinned
# CometBFT, built from source with `go install`; Rust crates via cargo), checks
# formatting and lints, then runs every unit and integration test, including
# the 4-validator localnet test against real CometBFT.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

./localnet/install-cometbft.sh
export PATH="$PWD/.bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked -- --test-threads=2
