#!/bin/bash
# Make the test certificates of tests/tls/ (and the e2e tests) with
# openssl, and tests/tls/certs.h, the same PEM text as C strings for the
# unit tests and the fuzz harnesses.  The outputs are committed; run it
# again only to change them (every key is new then).
#
#   tests/tls/make-certs.sh [DIR]     # default: the script's directory
#
# TEST KEYS ONLY: the private keys are public, in this repository.
#
#   ca.pem, ca.key            "znet test CA", EC P-256, a CA
#   server-ec.pem, .key       EC P-256, signed by the CA:
#                             CN localhost, subjectAltName DNS:localhost,
#                             DNS:znet.test, IP:127.0.0.1, IP:10.77.0.1,
#                             IP:10.77.0.2 (the e2e tests' addresses)
#   server-rsa.pem, .key      the same names with an RSA-2048 key
#   expired.pem, .key         the same names, EC P-256, valid only in 2001
#   wrong-name.pem, .key      EC P-256, CN and DNS wrong.test only
#   unknown-ca.pem, .key      "znet other CA", RSA-2048, not trusted by the
#                             tests
#   unknown-ca-server.pem, .key  localhost etc., signed by the other CA
#   weak-rsa.pem, .key        localhost etc., RSA-1024: outside the policy
#   p521.pem, .key            localhost etc., EC P-521: outside the policy
set -euo pipefail
out=${1:-$(cd "$(dirname "$0")" && pwd)}
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every certificate is dated explicitly (openssl ca): valid from
# 2020-01-01 to 2120-01-01, but expired.pem (2001-01-01 to 2002-01-01).
FROM=20200101000000Z
UNTIL=21200101000000Z
SAN="DNS:localhost,DNS:znet.test,IP:127.0.0.1,IP:10.77.0.1,IP:10.77.0.2"

eckey() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }
p521key() { openssl ecparam -name secp521r1 -genkey -noout -out "$1"; }
rsakey() { openssl genrsa -out "$1" 2048 2>/dev/null; }
rsa1024key() { openssl genrsa -out "$1" 1024 2>/dev/null; }

# sign CSR CA_NAME OUT FROM UNTIL EXTSECTION [SAN]: openssl ca with a
# throwaway database; CA_NAME "self" signs the CSR with its own key.
n=0
sign() {
  local csr=$1 ca=$2 out=$3 from=$4 until=$5 ext=$6 san=${7:-}
  n=$((n + 1))
  local db=$tmp/db$n
  mkdir -p "$db"
  : >"$db/index.txt"
  echo "$((1000 + n))" >"$db/serial"
  cat >"$db/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
${san:+subjectAltName = $san}
CNF
  if [ "$ca" = self ]; then
    openssl ca -batch -config "$db/ca.cnf" -selfsign -keyfile "${out%.pem}.key" \
      -in "$csr" -startdate "$from" -enddate "$until" -extensions "$ext" \
      -notext -out "$out" 2>/dev/null
  else
    openssl ca -batch -config "$db/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
      -in "$csr" -startdate "$from" -enddate "$until" -extensions "$ext" \
      -notext -out "$out" 2>/dev/null
  fi
}

ca() { # NAME CN KEYKIND
  "$3" "$1.key"
  openssl req -new -key "$1.key" -subj "/O=znet/CN=$2" -out "$tmp/$1.csr"
  sign "$tmp/$1.csr" self "$1.pem" "$FROM" "$UNTIL" ca_ext
}

leaf() { # NAME CN SAN CA KEYKIND [FROM UNTIL]
  "$5" "$1.key"
  openssl req -new -key "$1.key" -subj "/O=znet/CN=$2" -out "$tmp/$1.csr"
  sign "$tmp/$1.csr" "$4" "$1.pem" "${6:-$FROM}" "${7:-$UNTIL}" leaf_ext "$3"
}

ca ca "znet test CA" eckey
leaf server-ec localhost "$SAN" ca eckey
leaf server-rsa localhost "$SAN" ca rsakey
leaf expired localhost "$SAN" ca eckey 20010101000000Z 20020101000000Z
leaf wrong-name wrong.test "DNS:wrong.test" ca eckey
ca unknown-ca "znet other CA" rsakey
leaf unknown-ca-server localhost "$SAN" unknown-ca eckey
leaf weak-rsa localhost "$SAN" ca rsa1024key
leaf p521 localhost "$SAN" ca p521key

# certs.h: each file as a C string, ZT_PEM_<NAME>_<PEM|KEY>.
{
  echo "/* The test certificates as C strings: made by make-certs.sh, from the"
  echo " * .pem and .key files next to it.  TEST KEYS ONLY. */"
  echo "#ifndef TESTS_TLS_CERTS_H"
  echo "#define TESTS_TLS_CERTS_H"
  for f in ca server-ec server-rsa expired wrong-name unknown-ca \
    unknown-ca-server weak-rsa p521; do
    for ext in pem key; do
      name=$(echo "${f}_$ext" | tr 'a-z-' 'A-Z_')
      echo
      echo "static const char ZT_PEM_$name[] ="
      sed 's/.*/  "&\\n"/' "$f.$ext"
      echo "  ;"
    done
  done
  echo
  echo "#endif /* TESTS_TLS_CERTS_H */"
} >certs.h
echo "make-certs: wrote $(ls ./*.pem ./*.key | wc -l) files and certs.h in $out"
