#!/usr/bin/env bash
# Installs the pinned go-ethereum `geth` (Quire's development L1) into the
# project-local bin directory (.bin/ at the repository root) with `go install`,
# building it from source. Does nothing when the right version is already there.
# Prebuilt binaries are never downloaded.
#
# The version is pinned in one place: localnet/GETH_VERSION.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/localnet/GETH_VERSION")"
bin_dir="${QUIRE_BIN_DIR:-$root/.bin}"
geth="$bin_dir/geth"

installed_version() {
  # `geth version` prints "Version: 1.17.10-stable" among other lines.
  "$geth" version 2>/dev/null | sed -n 's/^Version: \([0-9.]*\).*/v\1/p'
}

if [ -x "$geth" ]; then
  have="$(installed_version || true)"
  if [ "$have" = "$version" ]; then
    echo "geth $version already installed at $geth"
    exit 0
  fi
  echo "found geth '${have}' at $geth, want $version: reinstalling"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: 'go' is not on PATH; geth is built from source with go install (Go >= 1.25)" >&2
  exit 1
fi

mkdir -p "$bin_dir"
echo "building geth $version with $(go version) into $bin_dir (several minutes on 2 cores) ..."
if ! GOBIN="$bin_dir" go install -trimpath -ldflags=-checklinkname=0 \
     "github.com/ethereum/go-ethereum/cmd/geth@${version}"; then
  echo "error: go install github.com/ethereum/go-ethereum/cmd/geth@${version} failed" >&2
  exit 1
fi
echo "installed geth $(installed_version) at $geth"
