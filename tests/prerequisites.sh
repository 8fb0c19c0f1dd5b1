#!/usr/bin/env bash
# Installs the Debian packages the test suite and the demos use (DPDK and its examples, libxdp,
# tshark, scapy, the Linux hosts' tools), only those missing. Needs root; without root it lists
# what is missing and returns 1, and the tests that need it fail naming it.
set -euo pipefail

packages=(
    dpdk dpdk-dev libdpdk-dev dpdk-doc
    libxdp-dev libbpf-dev xdp-tools clang llvm
    tshark tcpreplay python3-scapy
    iproute2 busybox dnsmasq iperf3 socat netcat-openbsd nftables curl
    iputils-ping iputils-tracepath traceroute tcpdump
    make pkg-config gcc procps util-linux ethtool
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $EUID -ne 0 ]]; then
    echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
    exit 1
fi
echo "installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
