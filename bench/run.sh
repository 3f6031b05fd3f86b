#!/usr/bin/env bash
# Benchmarks of the things runner promises to be quick and small at, against `runner serve` on
# loopback, with the release build:
#   - requests per second over one endpoint (connection and TLS session reuse);
#   - the peak memory of a 1 GiB download streamed to a file, and of an endless body;
#   - the time and memory a doubling variable takes to be refused.
# It prints numbers, it asserts nothing: these machines are shared and noisy. The memory bound
# is also checked by the test suite (tests/run.rs, a_large_download_streams_to_its_file).
#
#   bench/run.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-500}
cargo build --release --quiet
bin=target/release/runner
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

{
  printf '[endpoints.api]\nurl = "https://localhost:%s"\n' "$port"
  printf 'secure_socket = { cert = "%s", key = { cert_file = "%s", key_file = "%s" } }\n' \
    "$PWD/configs/certs/ca.crt" "$PWD/configs/certs/client.crt" "$PWD/configs/certs/client.key"
  for i in $(seq "$requests"); do printf '\n[[requests]]\nname = "r%s"\npath = "/get"\noutput = "none"\n' "$i"; done
} > "$work/many.toml"
start=$(date +%s.%N)
"$bin" run "$work/many.toml" -q
end=$(date +%s.%N)
python3 -c "import sys; n=$requests; t=$end-$start; print(f'{n} requests over mutual TLS in {t:.2f} s: {n/t:.0f} requests/s')"

printf '[endpoints.api]\nurl = "https://localhost:%s"\nsecure_socket = { cert = "%s" }\n\n[[requests]]\nname = "download"\npath = "/bytes/1073741824"\noutput = "%s"\n' \
  "$port" "$PWD/configs/certs/ca.crt" "$work/big.bin" > "$work/download.toml"
/usr/bin/time -f '1 GiB download to a file: %e s, peak resident memory %M kB' "$bin" run "$work/download.toml" -q

# A body that does not end (8 GiB, stopped by a 3 s timeout), streamed to stdout: memory stays
# flat whatever the body's length.
printf '[endpoints.api]\nurl = "https://localhost:%s"\ntimeout = "3s"\nsecure_socket = { cert = "%s" }\n\n[[requests]]\nname = "endless"\npath = "/bytes/8589934592"\n' \
  "$port" "$PWD/configs/certs/ca.crt" > "$work/endless.toml"
/usr/bin/time -f 'an endless body to stdout for 3 s: peak resident memory %M kB' "$bin" run "$work/endless.toml" -q > /dev/null 2>"$work/endless.err" || true
tail -1 "$work/endless.err"

# Variables that double at each step (40 steps of a 1 KB value): refused at 1 MiB, at once.
{
  printf '[vars]\nv0 = "%s"\n' "$(head -c 1000 /dev/zero | tr '\0' x)"
  for i in $(seq 40); do printf 'v%s = "{{v%s}}{{v%s}}"\n' "$i" "$((i - 1))" "$((i - 1))"; done
  printf '\n[endpoints.api]\nurl = "https://localhost:1/{{v40}}"\n\n[[requests]]\npath = "/"\n'
} > "$work/bomb.toml"
/usr/bin/time -f 'a doubling variable refused: %e s, peak resident memory %M kB' "$bin" check "$work/bomb.toml" > /dev/null 2>"$work/bomb.err" || true
tail -1 "$work/bomb.err"
