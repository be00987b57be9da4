# tls-helper.bash: throwaway certificates made with the openssl command.
#
# tls_pki DIR writes, with P-256 keys (quick to make and to use):
#   ca.pem            the test root CA (trust anchor for --cacert)
#   chain.pem         localhost's certificate, then the intermediate CA
#                     that signed it (a chain as servers send it)
#   srv.key           its key
#   expired.pem/.key  localhost, same chain, expired yesterday
#   unknown.pem/.key  localhost, signed by a CA nobody trusts
# Every certificate names localhost only (subjectAltName DNS:localhost).
#
# tls_setup_file (a bats file's setup_file) makes one such directory for
# the whole file and exports it as PKI; tls_srv [options] is srv (from
# echo-helper.bash) with --tls and PKI's localhost certificate and key.

tls_setup_file() {
	export PKI=$BATS_FILE_TMPDIR/pki
	tls_pki "$PKI"
}

tls_srv() {
	srv --tls --cert "$PKI/chain.pem" --key "$PKI/srv.key" "$@"
}

# tls_nginx_setup_file: the nginx of http-helper.bash with https too, on
# a tls_pki directory of the file's (NGINX_TLS_DIR).
tls_nginx_setup_file() {
	export NGINX_TLS_DIR=$BATS_FILE_TMPDIR/pki
	tls_pki "$NGINX_TLS_DIR"
	nginx_start
}

tls_pki() {
	local d=$1 ext
	mkdir -p "$d"
	(
	cd "$d" || exit 1
	set -e
	ext=ext.cnf
	printf 'subjectAltName=DNS:localhost\n' >leaf.cnf
	printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >$ext
	key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	key ca.key
	openssl req -x509 -new -key ca.key -out ca.pem -days 2 \
	    -subj "/CN=acore test root" 2>/dev/null
	key int.key
	openssl req -new -key int.key -subj "/CN=acore test intermediate" 2>/dev/null |
	    openssl x509 -req -CA ca.pem -CAkey ca.key -CAcreateserial \
	    -days 2 -extfile $ext -out int.pem 2>/dev/null
	key srv.key
	openssl req -new -key srv.key -subj /CN=localhost -out srv.csr 2>/dev/null
	openssl x509 -req -in srv.csr -CA int.pem -CAkey int.key \
	    -CAcreateserial -days 2 -extfile leaf.cnf -out srv.pem 2>/dev/null
	cat srv.pem int.pem >chain.pem
	# notAfter one day before notBefore: expired whenever it is checked.
	cp srv.key expired.key
	openssl x509 -req -in srv.csr -CA int.pem -CAkey int.key \
	    -CAcreateserial -days -1 -extfile leaf.cnf -out expired1.pem 2>/dev/null
	cat expired1.pem int.pem >expired.pem
	key other.key
	openssl req -x509 -new -key other.key -out other.pem -days 2 \
	    -subj "/CN=acore untrusted root" 2>/dev/null
	key unknown.key
	openssl req -new -key unknown.key -subj /CN=localhost 2>/dev/null |
	    openssl x509 -req -CA other.pem -CAkey other.key -CAcreateserial \
	    -days 2 -extfile leaf.cnf -out unknown.pem 2>/dev/null
	)
}
