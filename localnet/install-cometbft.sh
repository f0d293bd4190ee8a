#!/usr/bin/env bash
# Installs the pinned CometBFT into the project-local bin directory (.bin/ at the
# repository root) with `go install`, building it from source. Does nothing when
# the right version is already there. Prebuilt binaries are never downloaded.
#
# The version is pinned in one place: localnet/COMETBFT_VERSION.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/localnet/COMETBFT_VERSION")"
bin_dir="${QUIRE_BIN_DIR:-$root/.bin}"
cometbft="$bin_dir/cometbft"

if [ -x "$cometbft" ]; then
  have="$("$cometbft" version 2>/dev/null || true)"
  if [ "v${have#v}" = "$version" ]; then
    echo "cometbft $version already installed at $cometbft"
    exit 0
  fi
  echo "found cometbft '${have}' at $cometbft, want $version: reinstalling"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: 'go' is not on PATH; CometBFT is built from source with go install (Go >= 1.22)" >&2
  exit 1
fi

mkdir -p "$bin_dir"
echo "building cometbft $version with $(go version) into $bin_dir ..."
# Go >= 1.23 refuses some //go:linkname uses in CometBFT's dependencies at link
# time; -checklinkname=0 is the known workaround and changes nothing else.
if ! GOBIN="$bin_dir" go install -ldflags=-checklinkname=0 \
     "github.com/cometbft/cometbft/cmd/cometbft@${version}"; then
  echo "error: go install github.com/cometbft/cometbft/cmd/cometbft@${version} failed" >&2
  exit 1
fi
have="$("$cometbft" version)"
echo "installed cometbft ${have} at $cometbft"
