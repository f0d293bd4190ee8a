#!/usr/bin/env bash
# Runs Quire's whole default test suite: installs what it needs (the pinned
# CometBFT, built from source with `go install`; Rust crates via cargo), checks
# formatting and lints, then runs every unit and integration test, including
# the 4-validator localnet test against real CometBFT.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

./localnet/install-cometbft.sh
# The L1 of the anchoring tests: geth, built from source once per run.
./localnet/install-geth.sh
export PATH="$PWD/.bin:$PATH"
# Debian packages some tests need, installed once per run when missing:
# apt_install PACKAGE WHAT-NEEDS-IT
apt_install() {
  echo "== installing $1 (for $2)"
  if [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && apt-get install -y -qq "$1"; } ||
      echo "warning: could not install $1; $2 will fail" >&2
  else
    echo "warning: $1 is missing and this is not root: install it ($2 needs it)" >&2
  fi
}
# quire-loadgen's report test draws PNG plots, which need a TrueType font.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] ||
  apt_install fonts-dejavu-core "quire-loadgen's plot test"
# docs/staking.md's genesis commands (tests/tests/documented_commands.rs) use jq.
command -v jq > /dev/null || apt_install jq "the documented-commands test"
# The explorer's browser test drives Debian's chromium (or set CHROMIUM).
command -v "${CHROMIUM:-chromium}" > /dev/null || apt_install chromium "the explorer's browser test"

# The L1 contracts: the committed ABI and bytecode (contracts/out/) must be
# exactly what the pinned solc-js (npm, offline) makes of contracts/src/.
echo "== contracts: solc-js build check"
(cd contracts && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node build.mjs --check)
# The wallet tests' stock cosmjs client (tests/cosmjs, pinned by its lock).
echo "== cosmjs: npm ci"
(cd tests/cosmjs && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
# The explorer test's browser driver (tests/browser, pinned by its lock).
echo "== browser: npm ci"
(cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The workspace build turns on quired's test-only fault-injection feature (see
# tests/Cargo.toml); lint and test quired once as it ships, without it. This
# must come before the workspace tests: they rebuild target/debug/quired with
# the feature, which the crash tests need.
echo "== cargo clippy -p quired (without fault-injection)"
cargo clippy -p quired --all-targets --locked -- -D warnings
echo "== cargo test -p quired (without fault-injection)"
cargo test -p quired --locked -- --test-threads=2
echo "== cargo test"
cargo test --workspace --locked -- --test-threads=2
