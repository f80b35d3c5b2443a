#!/usr/bin/env bash
# Runs a command with a throw-away local broker: starts Tansu on a free
# port, exports HUB_TEST_BOOTSTRAP and HUB_BOOTSTRAP_SERVERS, runs the
# command, stops the broker whatever happens, and exits with the command's status.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TANSU="$ROOT/.tools/bin/tansu"
[ -x "$TANSU" ] || { echo "no broker at $TANSU: run Deploy/local/bootstrap.sh" >&2; exit 1; }
# A port below the kernel's ephemeral range (as LocalBroker.freePort picks), which no outgoing connection
# can take before the broker binds it; one the kernel picks when none there binds.
port="$(python3 - <<'PY'
import random, socket
start = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
candidates = [random.randrange(10000, start) for _ in range(64)] if start > 12000 else []
for port in candidates + [0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
PY
)"
url="tcp://127.0.0.1:$port"
mkdir -p "$ROOT/.tools/run"
RUST_LOG="${HUB_BROKER_LOG:-error}" "$TANSU" broker --listener-url "$url" --advertised-listener-url "$url" \
  --storage-engine memory://tansu/ >"$ROOT/.tools/run/broker-$port.log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$broker" 2>/dev/null || { echo "the broker exited at start-up:" >&2; cat "$ROOT/.tools/run/broker-$port.log" >&2; exit 1; }
  sleep 0.1
done
echo "[with-broker] local broker on 127.0.0.1:$port (pid $broker)" >&2
export HUB_TEST_BOOTSTRAP="127.0.0.1:$port" HUB_BOOTSTRAP_SERVERS="127.0.0.1:$port"
set +e
"$@"
status=$?
exit "$status"
