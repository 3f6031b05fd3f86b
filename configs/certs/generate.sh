#!/usr/bin/env bash
# Regenerates the demo PKI used by configs/*.toml and `runner demo`. The files are committed and
# valid for 100 years, so the demo runs on any machine without this script; run it only to change
# them. Needs openssl (3.x).
set -euo pipefail
cd "$(dirname "$0")"
days=36500
password=changeit

# The demo certificate authority.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
  -keyout ca.key -out ca.crt -days "$days" -subj "/O=runner demo/CN=runner demo CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# The server `runner demo` serves: localhost and the loopback addresses.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout server.key -out server.csr -subj "/O=runner demo/CN=localhost"
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days "$days" \
  -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1")

# The client identity for mutual TLS: PEM (PKCS#8 key) and PKCS#12.
openssl req -new -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/O=runner demo/CN=demo-client"
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days "$days" \
  -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth")
openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca.crt -name demo-client \
  -out client.p12 -passout "pass:$password"

# A truststore holding the CA, as `openssl pkcs12 -export -nokeys` writes it.
openssl pkcs12 -export -nokeys -in ca.crt -out truststore.p12 -passout "pass:$password"

rm -f server.csr client.csr ca.srl
echo "demo PKI written to $(pwd)"
