#!/usr/bin/env bash
# A real Kubernetes cluster on this machine for `npm run test:k8s`, without a kind node image and without touching
# Docker's engine: `up` builds Kubernetes and CoreDNS from the Go module proxy (infra/kubernetes/build.sh), takes etcd,
# containerd and the CNI plugins from Debian, and starts
#   - on the host: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and a small volume provisioner;
#   - per node, each in its own network namespace: containerd (a private instance), kubelet, kube-proxy (iptables
#     mode) and the bridge CNI;
#   - CoreDNS as the cluster DNS;
# then imports the stack's images and prints the KUBECONFIG to use. `down` ends every process it started (by the ids
# it recorded, and every process left in the cgroups it made), and removes the namespaces, cgroups, folders and links
# it made and the host sysctls kubelet changed. A test cluster: no HA, no encryption at rest, etcd on loopback.
#
#   infra/kubernetes/local-cluster.sh up|down|status|env
#
# Settings (environment): K8S_NODES (2), K8S_VERSION / COREDNS_VERSION (see build.sh), K8S_CACHE (downloads and
# binaries, kept between runs), K8S_STATE (/var/lib/recipes-k8s), K8S_IMAGES (images to import from Docker).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
export K8S_VERSION="${K8S_VERSION:-v1.35.4}"
export COREDNS_VERSION="${COREDNS_VERSION:-v1.15.0}"
export K8S_CACHE="${K8S_CACHE:-$HOME/.cache/recipes-stack/kubernetes}"
state="${K8S_STATE:-/var/lib/recipes-k8s}"
nodes="${K8S_NODES:-2}"
images="${K8S_IMAGES:-recipes-api:local postgres:14.23-bookworm edoburu/pgbouncer:v1.24.1-p1 haproxy:2.6.12 grafana/k6:1.8.1}"

bin="$K8S_CACHE/bin/$K8S_VERSION"
debian="$K8S_CACHE/debian"            # etcd, containerd and the CNI plugins, unpacked from Debian's packages
pki="$state/pki"
pids="$state/pids"
logs="$state/logs"
cgroup_name="recipes-k8s"
# Addresses: the nodes' own segment (a bridge in the namespace rk8s-lan; the host joins it through rk8s0), the pods
# (one /24 per node) and the Services. Nothing of it is routed beyond this machine.
lan_prefix="10.250.0"
api_ip="$lan_prefix.1"
pod_prefix="10.251"
cluster_cidr="$pod_prefix.0.0/16"
service_cidr="10.252.0.0/16"
dns_ip="10.252.0.10"
etcd_port=23790
# Host-wide sysctls kubelet sets at start (pkg/kubelet/cm: setupKernelTunables); `down` puts them back.
kubelet_sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths kubelet, containerd and its shims write to that are not configurable; each node's processes run in a mount
# namespace of their own where these are bind mounts of the node's folders (Docker's /run/containerd among them).
private_paths=(/run/containerd /run/netns /var/lib/cni /var/log/containers /var/log/pods)

say() { echo "local-cluster [$(printf "%4d" "$SECONDS") s]: $*"; }
run() { say "\$ $*"; "$@"; }
kubectl_() { "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"; }
node_name() { echo "recipes-k8s-$1"; }

# ---------------------------------------------------------------------------------------------------------------
# Programs

debian_packages() {
  if [[ -x "$debian/usr/bin/etcd" && -x "$debian/usr/bin/containerd" && -x "$debian/usr/lib/cni/bridge" ]]; then return; fi
  # Trixie's packages run on bookworm; a private apt state, so the host's sources and dpkg database stay as they are.
  # Nothing is installed: the packages are unpacked into the cache.
  local apt="$K8S_CACHE/apt"
  mkdir -p "$apt/etc" "$apt/lists/partial" "$apt/cache/archives/partial" "$K8S_CACHE/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$apt/etc/sources.list"
  local options=(-o APT::Sandbox::User=root -o "Dir::Etc::SourceList=$apt/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null)
  say "etcd-server, containerd and containernetworking-plugins from Debian trixie into $debian"
  apt-get "${options[@]}" -qq update
  (cd "$K8S_CACHE/debs" && apt-get "${options[@]}" -qq download etcd-server containerd containernetworking-plugins)
  for deb in "$K8S_CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$debian"; done
}

host_packages() {
  # runc 1.1 from the host's own release (trixie's needs a newer glibc); openssl for the certificates.
  local missing=()
  [[ -x /usr/sbin/runc ]] || missing+=(runc)
  command -v openssl > /dev/null || missing+=(openssl)
  command -v cc > /dev/null || missing+=(gcc libc6-dev)
  if ((${#missing[@]})); then run apt-get install -y -qq "${missing[@]}"; fi
}

# A single-layer OCI image archive from a folder, for `ctr images import`: no image builder needed.
oci_archive() {
  local rootfs="$1" name="$2" entrypoint="$3" out="$4" work
  work="$(mktemp -d)"
  mkdir -p "$work/blobs/sha256"
  tar -C "$rootfs" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$work/layer.tar" .
  local layer_sha layer_size config config_sha manifest manifest_sha
  layer_sha="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  layer_size="$(stat -c %s "$work/layer.tar")"
  mv "$work/layer.tar" "$work/blobs/sha256/$layer_sha"
  config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":$entrypoint,\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer_sha\"]}}"
  printf '%s' "$config" > "$work/config"
  config_sha="$(sha256sum "$work/config" | cut -d' ' -f1)"
  mv "$work/config" "$work/blobs/sha256/$config_sha"
  manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_sha\",\"size\":${#config}},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$layer_sha\",\"size\":$layer_size}]}"
  printf '%s' "$manifest" > "$work/manifest"
  manifest_sha="$(sha256sum "$work/manifest" | cut -d' ' -f1)"
  mv "$work/manifest" "$work/blobs/sha256/$manifest_sha"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$work/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_sha" "${#manifest}" "$name" "${name##*:}" > "$work/index.json"
  tar -C "$work" -cf "$out" oci-layout index.json blobs
  rm -rf "$work"
}

# The pod sandbox image: a static program that sleeps until told to stop, and reaps orphans.
pause_image() {
  local out="$K8S_CACHE/images/pause.tar"
  [[ -s "$out" ]] && return
  local work
  work="$(mktemp -d)"
  cat > "$work/pause.c" <<'C'
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
C
  mkdir -p "$work/rootfs" "$K8S_CACHE/images"
  cc -static -O2 -o "$work/rootfs/pause" "$work/pause.c"
  oci_archive "$work/rootfs" registry.k8s.io/pause:3.10 '["/pause"]' "$out"
  rm -rf "$work"
}

coredns_image() {
  local out="$K8S_CACHE/images/coredns-$COREDNS_VERSION.tar"
  [[ -s "$out" ]] && return
  local work
  work="$(mktemp -d)"
  mkdir -p "$work/rootfs" "$K8S_CACHE/images"
  cp "$bin/coredns" "$work/rootfs/coredns"
  oci_archive "$work/rootfs" "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" '["/coredns"]' "$out"
  rm -rf "$work"
}

# ---------------------------------------------------------------------------------------------------------------
# Certificates and kubeconfigs (one CA; a test cluster's PKI, valid 30 days)

cert() {
  local name="$1" subject="$2" sans="${3:-}"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/$name.key" \
    -subj "$subject" -out "$pki/$name.csr" 2> /dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [[ -z "$sans" ]] || echo "subjectAltName=$sans"
  } > "$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2> /dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

kubeconfig() {
  local name="$1" file="$2"
  cat > "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: recipes-k8s
    cluster:
      server: https://$api_ip:6443
      certificate-authority: $pki/ca.crt
users:
  - name: $name
    user:
      client-certificate: $pki/$name.crt
      client-key: $pki/$name.key
contexts:
  - name: recipes-k8s
    context: { cluster: recipes-k8s, user: $name }
current-context: recipes-k8s
EOF
}

make_pki() {
  mkdir -p "$pki"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/ca.key" \
    -subj "/CN=recipes-k8s-ca" -days 30 -out "$pki/ca.crt" 2> /dev/null
  openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out "$pki/sa.key" 2> /dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2> /dev/null
  cert apiserver "/CN=kube-apiserver" "IP:$api_ip,IP:127.0.0.1,IP:${service_cidr%.0/16}.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert admin "/O=system:masters/CN=recipes-k8s-admin"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert kube-proxy "/CN=system:kube-proxy"
  kubeconfig admin "$state/admin.kubeconfig"
  kubeconfig controller-manager "$state/controller-manager.kubeconfig"
  kubeconfig scheduler "$state/scheduler.kubeconfig"
  kubeconfig kube-proxy "$state/kube-proxy.kubeconfig"
  local n
  for n in $(seq 1 "$nodes"); do
    cert "kubelet-$n" "/O=system:nodes/CN=system:node:$(node_name "$n")"
    kubeconfig "kubelet-$n" "$state/kubelet-$n.kubeconfig"
  done
}

# ---------------------------------------------------------------------------------------------------------------
# Processes: each started in the background with its log, its id recorded in $pids

start() {
  local name="$1"
  shift
  say "start $name"
  setsid "$@" > "$logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$pids/$name"
}

wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local i
  for ((i = 0; i < seconds; i++)); do
    if "$@" > /dev/null 2>&1; then return 0; fi
    sleep 1
  done
  say "gave up after ${seconds}s waiting for $what; the logs are in $logs (last lines of kubelet's and containerd's below)"
  tail -n 5 "$logs"/kubelet-*.log "$logs"/containerd-*.log >&2 || true
  return 1
}

# cgroup v1 folders of our own in every hierarchy: /recipes-k8s/<node>/daemons holds containerd, kubelet, kube-proxy
# and the shims (whatever they spawn stays in it); /recipes-k8s/<node>/pods is kubelet's cgroupRoot.
cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d ! -name unified -printf '%p\n'; }
make_cgroup() {
  local path="$1" hierarchy dir parent
  for hierarchy in $(cgroup_dirs); do
    dir="$hierarchy"
    for part in ${path//\// }; do
      parent="$dir"
      dir="$dir/$part"
      if [[ ! -d "$dir" ]]; then
        mkdir "$dir"
        if [[ -f "$dir/cpuset.cpus" ]]; then
          cat "$parent/cpuset.cpus" > "$dir/cpuset.cpus"
          cat "$parent/cpuset.mems" > "$dir/cpuset.mems"
        fi
      fi
    done
  done
}

# ---------------------------------------------------------------------------------------------------------------
# up

network() {
  say "network: namespace rk8s-lan with a bridge; the host joins it as $api_ip (rk8s0), node N as $lan_prefix.1N"
  ip netns add rk8s-lan
  ip -n rk8s-lan link set lo up
  ip -n rk8s-lan link add br0 type bridge
  ip -n rk8s-lan link set br0 up
  ip link add rk8s0 type veth peer name host netns rk8s-lan
  ip addr add "$api_ip/24" dev rk8s0
  ip link set rk8s0 up
  ip -n rk8s-lan link set host master br0 up
  local n m
  for n in $(seq 1 "$nodes"); do
    ip netns add "rk8s-node$n"
    ip -n "rk8s-node$n" link set lo up
    ip link add "node$n" netns rk8s-lan type veth peer name eth0 netns "rk8s-node$n"
    ip -n rk8s-lan link set "node$n" master br0 up
    ip -n "rk8s-node$n" addr add "$lan_prefix.1$n/24" dev eth0
    ip -n "rk8s-node$n" link set eth0 up
    ip -n "rk8s-node$n" route add default via "$api_ip"
    ip netns exec "rk8s-node$n" sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
    # The host reaches each node's pods through the node (replies from the API server to pods, for one).
    ip route add "$pod_prefix.$n.0/24" via "$lan_prefix.1$n" dev rk8s0
    for m in $(seq 1 "$nodes"); do
      [[ $m == "$n" ]] || ip -n "rk8s-node$n" route add "$pod_prefix.$m.0/24" via "$lan_prefix.1$m" dev eth0
    done
  done
}

control_plane() {
  start etcd "$debian/usr/bin/etcd" --name recipes-k8s --data-dir "$state/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
    --initial-cluster recipes-k8s=http://127.0.0.1:23800 --listen-metrics-urls http://127.0.0.1:23810
  wait_for etcd 60 curl -fsS "http://127.0.0.1:$etcd_port/health"
  start kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address "$api_ip" --advertise-address "$api_ip" --secure-port 6443 \
    --service-cluster-ip-range "$service_cidr" --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" --cert-dir "$pki" --profiling=false
  wait_for kube-apiserver 120 "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" get --raw /readyz
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state/controller-manager.kubeconfig" --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range "$service_cidr" --cluster-cidr "$cluster_cidr" --allocate-node-cidrs=false
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$state/scheduler.kubeconfig" \
    --authentication-kubeconfig "$state/scheduler.kubeconfig" --authorization-kubeconfig "$state/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false
}

node_up() {
  local n="$1" name dir
  name="$(node_name "$n")"
  dir="$state/node$n"
  mkdir -p "$dir/cni" "$dir/kubelet" "$dir/private"
  for path in "${private_paths[@]}"; do mkdir -p "$dir/private$path"; done
  cat > "$dir/cni/10-recipes.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "recipes-k8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$pod_prefix.$n.0/24" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$dir/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat > "$dir/containerd.toml" <<EOF
version = 2
root = "$dir/containerd"
state = "$dir/containerd-state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  enable_selinux = false
  # No process may lower an oom_score_adj without CAP_SYS_RESOURCE, which a machine run in a container may lack:
  # runc then fails to start every pod sandbox (-998). This clamps scores to containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$debian/usr/lib/cni"
    conf_dir = "$dir/cni"
EOF
  : > "$dir/resolv.conf"
  cat > "$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $lan_prefix.1$n
containerRuntimeEndpoint: unix://$dir/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /$cgroup_name/node$n/pods
failCgroupV1: false
failSwapOn: false
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki/ca.crt }
authorization:
  mode: Webhook
clusterDNS: [$dns_ip]
clusterDomain: cluster.local
resolvConf: $dir/resolv.conf
podLogsDir: $dir/private/var/log/pods
readOnlyPort: 0
serializeImagePulls: false
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2% }
EOF
  cat > "$dir/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $cluster_cidr
hostnameOverride: $name
bindAddress: $lan_prefix.1$n
metricsBindAddress: 127.0.0.1:10249
clientConnection: { kubeconfig: $state/kube-proxy.kubeconfig }
# 0: leave the host's conntrack table size and timeouts as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
  make_cgroup "$cgroup_name/node$n/daemons"
  make_cgroup "$cgroup_name/node$n/pods"
  # The node's daemons: in its network namespace, in a mount namespace of their own (private_paths bound to the
  # node's folders), in its daemons cgroup.
  cat > "$dir/run.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
for hierarchy in $(cgroup_dirs | tr '\n' ' '); do echo \$\$ > "\$hierarchy/$cgroup_name/node$n/daemons/cgroup.procs"; done
for path in ${private_paths[*]}; do mount --bind "$dir/private\$path" "\$path"; done
export PATH="$debian/usr/bin:\$PATH"
containerd --config "$dir/containerd.toml" > "$logs/containerd-$n.log" 2>&1 &
for i in \$(seq 60); do [[ -S "$dir/containerd.sock" ]] && break; sleep 1; done
ctr --address "$dir/containerd.sock" -n k8s.io images import "$K8S_CACHE/images/pause.tar" > /dev/null
ctr --address "$dir/containerd.sock" -n k8s.io images import "$K8S_CACHE/images/coredns-$COREDNS_VERSION.tar" > /dev/null
"$bin/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$state/kubelet-$n.kubeconfig" --hostname-override "$name" \\
  --node-ip "$lan_prefix.1$n" --root-dir "$dir/kubelet" --cert-dir "$dir/kubelet/pki" > "$logs/kubelet-$n.log" 2>&1 &
echo \$! > "$pids/kubelet-$n"
"$bin/kube-proxy" --config "$dir/kube-proxy.yaml" > "$logs/kube-proxy-$n.log" 2>&1 &
echo \$! > "$pids/kube-proxy-$n"
wait
EOF
  chmod +x "$dir/run.sh"
  # Absent paths are made for the bind mounts and removed again by `down`.
  for path in "${private_paths[@]}"; do
    if [[ ! -e "$path" ]]; then
      mkdir -p "$path"
      echo "$path" >> "$state/made-paths"
    fi
  done
  start "node$n" nsenter --net="/run/netns/rk8s-node$n" unshare --mount --propagation slave "$dir/run.sh"
}

addons() {
  say "CoreDNS as the cluster DNS ($dns_ip), a default StorageClass"
  sed -e "s/@DNS_IP@/$dns_ip/" -e "s/@COREDNS_VERSION@/$COREDNS_VERSION/" "$here/addons.yaml" | kubectl_ apply -f - > /dev/null
}

# A minimal volume provisioner for the default StorageClass `local-dir`: a folder on the host (both nodes share its
# disk) for each pending claim, removed with its volume once the claim is gone.
provisioner() {
  set +e
  local volumes="$state/volumes"
  mkdir -p "$volumes"
  while true; do
    kubectl_ get pvc -A -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.metadata.namespace} {.metadata.name} {.metadata.uid} {.spec.resources.requests.storage} {.spec.storageClassName}{"\n"}{end}' 2> /dev/null |
      while read -r ns claim uid size class; do
        [[ "$class" == local-dir ]] || continue
        mkdir -p "$volumes/$uid"
        chmod 0777 "$volumes/$uid"
        kubectl_ apply -f - > /dev/null <<EOF || true
apiVersion: v1
kind: PersistentVolume
metadata: { name: pvc-$uid, labels: { recipes-stack.local/provisioned: "true" } }
spec:
  capacity: { storage: $size }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-dir
  claimRef: { namespace: $ns, name: $claim, uid: $uid }
  hostPath: { path: $volumes/$uid, type: Directory }
EOF
      done
    kubectl_ get pv -l recipes-stack.local/provisioned=true -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}' 2> /dev/null |
      while read -r pv; do
        kubectl_ delete pv "$pv" --wait=false > /dev/null 2>&1 && rm -rf "${volumes:?}/${pv#pvc-}"
      done
    sleep 2
  done
}

import_images() {
  local image file n
  for image in $images; do
    file="$state/images/$(echo "$image" | tr '/:' '__').tar"
    mkdir -p "$state/images"
    say "docker save $image | ctr images import (every node)"
    docker save "$image" -o "$file"
    for n in $(seq 1 "$nodes"); do
      "$debian/usr/bin/ctr" --address "$state/node$n/containerd.sock" -n k8s.io images import "$file" > /dev/null
    done
    rm -f "$file"
  done
}

up() {
  if [[ -e "$state/admin.kubeconfig" ]]; then
    say "a cluster is already up (state in $state); run down first"
    exit 1
  fi
  local started=$SECONDS
  host_packages
  debian_packages
  "$here/build.sh"
  pause_image
  coredns_image
  if [[ -z "${K8S_SKIP_API_IMAGE_BUILD:-}" ]]; then
    say "\$ docker build -t recipes-api:local $root_dir"
    docker build -q -t recipes-api:local "$root_dir" > /dev/null
  fi
  mkdir -p "$state" "$pids" "$logs"
  local sysctl
  for sysctl in "${kubelet_sysctls[@]}"; do echo "$sysctl=$(sysctl -n "$sysctl")"; done > "$state/host-sysctls"
  make_pki
  network
  control_plane
  local n
  for n in $(seq 1 "$nodes"); do node_up "$n"; done
  for n in $(seq 1 "$nodes"); do
    wait_for "node $(node_name "$n") Ready" 180 kubectl_ wait --for=condition=Ready --timeout=2s "node/$(node_name "$n")"
  done
  addons
  provisioner > "$logs/provisioner.log" 2>&1 &
  echo $! > "$pids/provisioner"
  import_images
  wait_for "CoreDNS" 180 kubectl_ -n kube-system wait --for=condition=Available --timeout=2s deployment/coredns
  kubectl_ get nodes -o wide
  say "up in $((SECONDS - started)) s: Kubernetes $K8S_VERSION, CoreDNS $COREDNS_VERSION, $nodes node(s)"
  say "to use it: export KUBECONFIG=$state/admin.kubeconfig KUBECTL=$bin/kubectl (or eval \"\$($0 env)\")"
}

# ---------------------------------------------------------------------------------------------------------------
# down

kill_ids() {
  local signal="$1"
  shift
  (($#)) || return 0
  kill "-$signal" "$@" 2> /dev/null || true
}

kill_pidfile() {
  local file="$pids/$1" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2> /dev/null; then
    say "stop $1 (pid $pid)"
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2> /dev/null || true
  fi
  rm -f "$file"
}

# Every process in a cgroup of ours, until none is left (containers first, then the daemons and shims).
empty_cgroup() {
  local path="$1" ids i
  for i in $(seq 30); do
    mapfile -t ids < <(find "/sys/fs/cgroup/pids/$path" -name cgroup.procs -exec cat {} + 2> /dev/null | sort -u)
    ((${#ids[@]})) || return 0
    ((i == 1)) && say "stop ${#ids[@]} process(es) in cgroup $path"
    kill_ids "$([[ $i -lt 5 ]] && echo TERM || echo KILL)" "${ids[@]}"
    sleep 1
  done
}

down() {
  [[ -d "$state" ]] || { say "nothing to take down ($state does not exist)"; return 0; }
  kill_pidfile provisioner
  local n hierarchy
  for n in $(seq 1 9); do
    [[ -d "/sys/fs/cgroup/pids/$cgroup_name/node$n" ]] || continue
    # kubelet first: it would start the containers again as they are stopped.
    kill_pidfile "kubelet-$n"
    kill_pidfile "kube-proxy-$n"
    empty_cgroup "$cgroup_name/node$n/pods"
    empty_cgroup "$cgroup_name/node$n/daemons"
    rm -f "$pids/node$n"
  done
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do kill_pidfile "$name"; done
  for hierarchy in $(cgroup_dirs); do
    [[ -d "$hierarchy/$cgroup_name" ]] || continue
    # A cgroup goes once its last process has been reaped, a moment after it was killed.
    for _ in $(seq 10); do
      find "$hierarchy/$cgroup_name" -depth -type d -exec rmdir {} + 2> /dev/null && break
      sleep 1
    done
    [[ ! -d "$hierarchy/$cgroup_name" ]] || say "warning: $hierarchy/$cgroup_name is still there (a process in it: $(find "$hierarchy/$cgroup_name" -name cgroup.procs -exec cat {} + | head -3 | tr '\n' ' '))"
  done
  for n in $(ip netns list | awk '/^rk8s-/ { print $1 }'); do run ip netns del "$n"; done
  # The host's end of the link goes with its peer's namespace, a moment after.
  ip link del rk8s0 2> /dev/null && say "removed link rk8s0" || true
  if [[ -f "$state/host-sysctls" ]]; then
    say "restore host sysctls: $(tr '\n' ' ' < "$state/host-sysctls")"
    while IFS= read -r line; do sysctl -q -w "$line"; done < "$state/host-sysctls"
  fi
  if [[ -f "$state/made-paths" ]]; then
    while IFS= read -r path; do rmdir "$path" 2> /dev/null || true; done < "$state/made-paths"
  fi
  # Mounts die with the nodes' mount namespaces; anything still mounted under the state folder is a leftover.
  if grep -q " $state" /proc/self/mountinfo; then
    say "unmount leftovers under $state"
    grep " $state" /proc/self/mountinfo | awk '{ print $5 }' | sort -r | xargs -r umount -l
  fi
  run rm -rf "$state"
  say "down: the machine is as it was before up"
}

status() {
  [[ -f "$state/admin.kubeconfig" ]] || { say "down"; return 0; }
  kubectl_ get nodes -o wide
  say "export KUBECONFIG=$state/admin.kubeconfig PATH=$bin:\$PATH"
}

# The variables test:k8s reads, as shell assignments: eval "$(local-cluster.sh env)".
env_() {
  [[ -f "$state/admin.kubeconfig" ]] || { say "no cluster is up" >&2; return 1; }
  echo "export KUBECONFIG=$state/admin.kubeconfig KUBECTL=$bin/kubectl"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_ ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
