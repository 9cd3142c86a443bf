#!/usr/bin/env bash
# Builds the Kubernetes server binaries and CoreDNS from the Go module proxy into
# $K8S_CACHE/bin/<version>, or does nothing when they are already there.
# k8s.io/kubernetes replaces its staging modules with local folders, so `go install` refuses it:
# a small wrapper module requires it and points every staging module at its published v0.Y.Z.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.35.4}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.15.0}"
K8S_CACHE="${K8S_CACHE:-$HOME/.cache/recipes-stack/kubernetes}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"

bin="$K8S_CACHE/bin/$K8S_VERSION"
programs=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl)
missing=0
for p in "${programs[@]}" coredns; do [[ -x "$bin/$p" ]] || missing=1; done
if [[ $missing == 0 ]]; then
  echo "build: Kubernetes $K8S_VERSION and CoreDNS $COREDNS_VERSION already in $bin"
  exit 0
fi

src="$K8S_CACHE/src/kubernetes-$K8S_VERSION"
mkdir -p "$src" "$bin"
cd "$src"
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
staging_version="v0.${K8S_VERSION#v1.}"

echo "build: wrapper module for k8s.io/kubernetes $K8S_VERSION in $src"
upstream_mod="$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
{
  echo "module recipes-stack.local/kubernetes-build"
  echo
  echo "go $(sed -n 's/^go //p' "$upstream_mod")"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  awk -v v="$staging_version" '/=> \.\/staging\// { print "replace " $1 " => " $1 " " v }' "$upstream_mod"
} > go.mod
echo 'package main' > keep.go

build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

echo "build: go build ${programs[*]} (cold: 10 to 20 minutes on 2 cores; warm: a minute or two)"
pkgs=()
for p in "${programs[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$p"); done
GOFLAGS=-mod=mod "$GO" build -ldflags "-s -w $ldflags" -o "$bin/" "${pkgs[@]}"

echo "build: go install github.com/coredns/coredns@$COREDNS_VERSION"
GOBIN="$bin" CGO_ENABLED=0 "$GO" install -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"

"$bin/kube-apiserver" --version
"$bin/coredns" -version | head -1
