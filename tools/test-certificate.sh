#!/usr/bin/env bash
# Makes the self-signed TLS certificate of the loopback https fakes (packages/test-utils/fixtures/tls):
# for localhost and 127.0.0.1, valid for 100 years so that the committed fixture never expires.
# The key is a test fixture and protects nothing.
set -euo pipefail
out="$(dirname "$0")/../packages/test-utils/fixtures/tls"
mkdir -p "$out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$out/key.pem" -out "$out/cert.pem" -days 36500 \
  -subj '/CN=liftwing test fixture' \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null
echo "wrote $out/cert.pem and $out/key.pem"
