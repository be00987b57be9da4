/*
 * http-opts.c: the command line of acore http-get.  Option values that end
 * up in a request are checked by hg_value_ok() (http-req.c), the one place
 * that decides what may go on the wire.  A bad command line is reported
 * through cmd_usage_error(), as the other commands do: the problem, then
 * the usage line, exit 2.
 */
#include "config.h"

#include <sys/socket.h>

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define MAX_CHUNK	(64 * 1024 * 1024)

enum {
	OPT_ABSOLUTE = 256, OPT_CHUNK, OPT_COMPRESSED, OPT_CONNECT,
	OPT_HOST_CONNS, OPT_HTTP10, OPT_LOCATION_TRUSTED, OPT_LOOP_COUNTER,
	OPT_MAX_REDIRS, OPT_NO_FAIL, OPT_NO_PROGRESS, OPT_PARALLEL_MAX,
	OPT_PROGRESS, OPT_RAW,
	OPT_RETRY, OPT_RETRY_DELAY, OPT_SHOW_READS, OPT_SUMMARY,
	OPT_CACERT, OPT_CAPATH, OPT_HTTP11, OPT_HTTP2, OPT_HTTP2_PRIOR,
	OPT_RESOLVE, OPT_UNIX_SOCKET, OPT_LIMIT_RATE,
	OPT_DATA_ASCII, OPT_DATA_BINARY, OPT_DATA_RAW, OPT_DATA_URLENCODE,
	OPT_JSON, OPT_DIGEST, OPT_NETRC_FILE, OPT_NOPROXY, OPT_CIPHERS,
	OPT_TLS13_CIPHERS
};

const struct option hg_longopts[] = {
	{ "absolute-form", no_argument, NULL, OPT_ABSOLUTE },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "capath", required_argument, NULL, OPT_CAPATH },
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "compressed", no_argument, NULL, OPT_COMPRESSED },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT },
	{ "cookie", required_argument, NULL, 'b' },
	{ "cookie-jar", required_argument, NULL, 'c' },
	{ "continue-at", required_argument, NULL, 'C' },
	{ "data", required_argument, NULL, 'd' },
	{ "data-ascii", required_argument, NULL, OPT_DATA_ASCII },
	{ "data-binary", required_argument, NULL, OPT_DATA_BINARY },
	{ "data-raw", required_argument, NULL, OPT_DATA_RAW },
	{ "data-urlencode", required_argument, NULL, OPT_DATA_URLENCODE },
	{ "digest", no_argument, NULL, OPT_DIGEST },
	{ "fail", no_argument, NULL, 'f' },
	{ "form", required_argument, NULL, 'F' },
	{ "get", no_argument, NULL, 'G' },
	{ "head", no_argument, NULL, 'I' },
	{ "header", required_argument, NULL, 'H' },
	{ "http1.0", no_argument, NULL, OPT_HTTP10 },
	{ "http1.1", no_argument, NULL, OPT_HTTP11 },
	{ "http2", no_argument, NULL, OPT_HTTP2 },
	{ "http2-prior-knowledge", no_argument, NULL, OPT_HTTP2_PRIOR },
	{ "include", no_argument, NULL, 'i' },
	{ "insecure", no_argument, NULL, 'k' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "limit-rate", required_argument, NULL, OPT_LIMIT_RATE },
	{ "location", no_argument, NULL, 'L' },
	{ "location-trusted", no_argument, NULL, OPT_LOCATION_TRUSTED },
	{ "loop-counter", no_argument, NULL, OPT_LOOP_COUNTER },
	{ "max-host-conns", required_argument, NULL, OPT_HOST_CONNS },
	{ "max-redirs", required_argument, NULL, OPT_MAX_REDIRS },
	{ "max-time", required_argument, NULL, 'm' },
	{ "netrc", no_argument, NULL, 'n' },
	{ "netrc-file", required_argument, NULL, OPT_NETRC_FILE },
	{ "no-fail", no_argument, NULL, OPT_NO_FAIL },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "noproxy", required_argument, NULL, OPT_NOPROXY },
	{ "output", required_argument, NULL, 'o' },
	{ "parallel", no_argument, NULL, 'Z' },
	{ "parallel-max", required_argument, NULL, OPT_PARALLEL_MAX },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "proxy", required_argument, NULL, 'x' },
	{ "proxy-user", required_argument, NULL, 'U' },
	{ "range", required_argument, NULL, 'r' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "request", required_argument, NULL, 'X' },
	{ "referer", required_argument, NULL, 'e' },
	{ "remote-name", no_argument, NULL, 'O' },
	{ "resolve", required_argument, NULL, OPT_RESOLVE },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "show-error", no_argument, NULL, 'S' },
	{ "show-reads", no_argument, NULL, OPT_SHOW_READS },
	{ "silent", no_argument, NULL, 's' },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "tls13-ciphers", required_argument, NULL, OPT_TLS13_CIPHERS },
	{ "unix-socket", required_argument, NULL, OPT_UNIX_SOCKET },
	{ "upload-file", required_argument, NULL, 'T' },
	{ "user", required_argument, NULL, 'u' },
	{ "user-agent", required_argument, NULL, 'A' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "write-out", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

/*
 * --help: a line per option; tests/cli.bats checks that it names every one
 * of the table above and of HG_OPTSTRING.
 */
const char hg_options_help[] =
    "  -0, --http1.0        the examples' bare request: GET path "
    "HTTP/1.0 and Host\n"
    "  -4, -6               IPv4 or IPv6 addresses only\n"
    "  -A, --user-agent AGENT  the User-Agent header ('': none)\n"
    "  -b, --cookie 'N=V; ...' | FILE  send these cookies, or "
    "those of a cookie file\n"
    "  -c, --cookie-jar FILE  write the cookies to FILE at the end\n"
    "  -C, --continue-at -  continue the -o or -O file where it "
    "ends\n"
    "  -d, --data DATA      POST DATA as a form (@FILE, @-: read it; "
    "repeated: joined with &)\n"
    "  -e, --referer URL[;auto]  send Referer: URL (;auto: the "
    "redirecting URL)\n"
    "  -f, --fail           HTTP 400 or more is an error, status 9 "
    "(the default)\n"
    "  -F, --form NAME=VALUE  POST multipart/form-data (NAME=@FILE: a "
    "file, NAME=<FILE: its text)\n"
    "  -G, --get            put the -d data in the URL's query, and "
    "GET\n"
    "  -H, --header 'NAME: VALUE'  add or replace a header "
    "('NAME:' removes it)\n"
    "  -i, --include        write each status line and header block "
    "too\n"
    "  -I, --head           send HEAD, write the status line and "
    "headers\n"
    "  -k, --insecure       https: do not verify the server\n"
    "  -L, --location       follow redirects\n"
    "  -m, --max-time SECS  stop everything after SECS (status 6)\n"
    "  -n, --netrc          credentials from ~/.netrc\n"
    "  -o, --output FILE    write the next URL's body to FILE "
    "('-': stdout)\n"
    "  -O, --remote-name    write each URL to its last path segment, "
    "here\n"
    "  -r, --range RANGE    ask for bytes RANGE only (0-499, 500-, "
    "-500, 0-0,-1)\n"
    "  -s, --silent         no progress meter, no error lines\n"
    "  -S, --show-error     with -s, still report errors\n"
    "  -U, --proxy-user USER:PASSWORD  the proxy's credentials\n"
    "  -u, --user USER[:PASSWORD]  credentials (no password: "
    "asked for)\n"
    "  -v, --verbose        show the heads as curl -v, log every event "
    "as the PyMOTW article\n"
    "  -V, --version        print the version\n"
    "  -T, --upload-file FILE  PUT FILE ('-': stdin, sent chunked)\n"
    "  -w, --write-out FORMAT  write FORMAT after each URL "
    "(%{http_code}, ...)\n"
    "  -X, --request METHOD the request method\n"
    "  -x, --proxy [SCHEME://][USER:PASS@]HOST[:PORT]  through this "
    "proxy (http,\n"
    "                       socks4, socks4a, socks5, socks5h; '': "
    "none)\n"
    "  -Z, --parallel       fetch in parallel, the default (-Z N: "
    "--parallel-max N)\n"
    "      --absolute-form  the whole URL in the request line\n"
    "      --cacert FILE    https: trust the CAs in FILE (PEM)\n"
    "      --capath DIR     https: trust the CAs in the hashed "
    "DIR\n"
    "      --chunk-size N   bytes per read (default 1M)\n"
    "      --ciphers LIST   https: TLS 1.2 ciphers (OpenSSL's syntax)\n"
    "      --compressed     ask for gzip or deflate, write it "
    "decoded\n"
    "      --connect-timeout SECS  give up a connect after SECS "
    "(status 6)\n"
    "      --data-ascii DATA  as -d\n"
    "      --data-binary DATA  as -d, @FILE read as it is\n"
    "      --data-raw DATA  as -d, no @FILE\n"
    "      --data-urlencode [NAME]=TEXT|[NAME]@FILE  as -d, "
    "URL-encoded\n"
    "      --digest         HTTP Digest authentication, not Basic\n"
    "      --http1.1        HTTP/1.1 only (https: no h2 offered)\n"
    "      --http2          https: HTTP/2 when the server agrees "
    "(the default)\n"
    "      --http2-prior-knowledge  http://: HTTP/2 at once (h2c)\n"
    "      --json DATA      POST DATA as JSON (@FILE, @-: read it; "
    "repeated: concatenated)\n"
    "      --limit-rate RATE  read at most RATE bytes/s per "
    "connection (k, M, G)\n"
    "      --location-trusted  -L, and send -H credentials to every "
    "host\n"
    "      --loop-counter   one loop pass at a time, as "
    "asyncore_loop.py\n"
    "      --max-host-conns N  connections per host and port "
    "(default 6)\n"
    "      --max-redirs N   follow at most N redirects per URL "
    "(default 20)\n"
    "      --netrc-file FILE  credentials from FILE (as --netrc)\n"
    "      --no-fail        HTTP 400 or more is no error\n"
    "      --no-progress    never show the progress meter\n"
    "      --noproxy LIST   hosts reached directly ('*': all)\n"
    "      --parallel-max N at most N requests at once "
    "(default 50)\n"
    "      --progress       always show the progress meter\n"
    "      --raw            write the responses as received\n"
    "      --resolve HOST:PORT:ADDR[,ADDR]  connect to ADDR for HOST "
    "and PORT (HOST *: any; -HOST:PORT: drop)\n"
    "      --retry N        retry a failure that may pass, up to N "
    "times\n"
    "      --retry-delay SECS  wait SECS before each retry "
    "(default: backoff)\n"
    "      --show-reads     print each read, as the library docs' "
    "HTTPClient\n"
    "      --summary        'URL got N bytes' for each URL instead "
    "of bodies\n"
    "      --tls13-ciphers LIST  https: TLS 1.3 cipher suites\n"
    "      --unix-socket PATH  connect to the Unix socket PATH\n"
    "  url ...              http:// or https:// URLs (no scheme: "
    "http://)\n";

static void
add_header(struct hg_opts *o, char *h)
{
	size_t n = strcspn(h, ":");
	char **nh;

	if (n == 0 || h[n] != ':' || !hg_value_ok(h) ||
	    strcspn(h, " \t") < n)
		cmd_usage_error(&acore_cmd_http_get, "bad header '%s' (want "
		    "'Name: value')", h);
	if ((nh = reallocarray(o->headers, (size_t)o->nheaders + 1,
	    sizeof(*nh))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	o->headers = nh;
	o->headers[o->nheaders++] = h;
}

/* -e URL, -e 'URL;auto' or -e ';auto' (curl's). */
static void
set_referer(struct hg_opts *o, char *v)
{
	size_t n = strlen(v);

	o->referer_auto = n >= 5 && strcmp(v + n - 5, ";auto") == 0;
	if (o->referer_auto)
		v[n - 5] = '\0';
	if (!hg_value_ok(v))
		cmd_usage_error(&acore_cmd_http_get, "bad referer (control "
		    "characters)");
	o->referer = v;
}

static int
all_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/*
 * curl users type -Z alone; this command's users typed "-Z 10".  A number
 * right after a lone -Z is still its value, so both keep working.
 */
static void
rewrite_z(int argc, char **argv)
{
	static char pmax[] = "--parallel-max";
	int i;

	for (i = 1; i + 1 < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-Z") == 0 && all_digits(argv[i + 1]))
			argv[i] = pmax;
}

/* Checks across options, once all are seen. */
static void
check_combination(const struct hg_opts *o, int nfiles)
{
	if (o->resume && nfiles == 0 && !o->remote_name)
		cmd_usage_error(&acore_cmd_http_get, "-C - needs -o or -O");
	if (o->resume && o->compressed)
		cmd_usage_error(&acore_cmd_http_get, "-C - and --compressed "
		    "cannot be combined");
	if (o->resume && o->range != NULL)
		cmd_usage_error(&acore_cmd_http_get, "-C - and -r cannot be "
		    "combined");
	if (o->head && o->raw)
		cmd_usage_error(&acore_cmd_http_get, "-I and --raw cannot be "
		    "combined");
	hg_body_check(o);
}

int
hg_parse_options(int argc, char **argv, struct hg_opts *o, char ***files,
    int *nfiles)
{
	static char json_type[] = "Content-Type: application/json";
	static char json_accept[] = "Accept: application/json";
	const char *why;
	int ch;

	rewrite_z(argc, argv);
	while ((ch = getopt_long(argc, argv, HG_OPTSTRING, hg_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '0':
		case OPT_HTTP10:
			o->http10 = 1;
			o->http2 = -1;
			break;
		/* The last of these wins, as in curl. */
		case OPT_HTTP11:
			o->http10 = 0;
			o->http2 = -1;
			break;
		case OPT_HTTP2:
			o->http10 = 0;
			o->http2 = 1;
			break;
		case OPT_HTTP2_PRIOR:
			o->http10 = 0;
			o->http2 = 2;
			break;
		case '4':
		case '6':
			if (o->family == (ch == '4' ? AF_INET6 : AF_INET))
				cmd_usage_error(&acore_cmd_http_get,
				    "-4 and -6 cannot be used together");
			o->family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'A':
			o->user_agent = optarg;
			if (!hg_value_ok(o->user_agent))
				cmd_usage_error(&acore_cmd_http_get, "bad user "
				    "agent (control characters)");
			if (*o->user_agent == '\0')
				o->user_agent = NULL;	/* -A '': none */
			break;
		case 'b':
			if ((o->cookies = reallocarray(o->cookies,
			    (size_t)o->ncookies + 1, sizeof(*o->cookies))) ==
			    NULL)
				err(AC_EXIT_FAIL, "http-get");
			o->cookies[o->ncookies++] = optarg;
			break;
		case 'c':
			o->cookie_jar = optarg;
			break;
		case 'e':
			set_referer(o, optarg);
			break;
		case 'n':
			o->netrc = 1;
			break;
		case 'u':
			o->userpwd = optarg;
			break;
		case OPT_DIGEST:
			o->digest = 1;
			break;
		case OPT_NETRC_FILE:
			o->netrc = 1;
			o->netrc_file = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "-") != 0)
				cmd_usage_error(&acore_cmd_http_get, "only "
				    "'-C -' (continue where the file ends) is "
				    "supported");
			o->resume = 1;
			break;
		case 'd':
		case OPT_DATA_ASCII:
			hg_body_option(o, HG_DATA, optarg);
			break;
		case OPT_DATA_BINARY:
			hg_body_option(o, HG_DATA_BINARY, optarg);
			break;
		case OPT_DATA_RAW:
			hg_body_option(o, HG_DATA_RAW, optarg);
			break;
		case OPT_DATA_URLENCODE:
			hg_body_option(o, HG_DATA_URLENCODE, optarg);
			break;
		case OPT_JSON:
			/* as curl 7.82: these two once, as if given with -H */
			if (o->upload == NULL || !hg_body_json(o)) {
				add_header(o, json_type);
				add_header(o, json_accept);
			}
			hg_body_option(o, HG_JSON, optarg);
			break;
		case 'F':
			hg_body_option(o, HG_FORM, optarg);
			break;
		case 'G':
			hg_body_option(o, HG_GET, NULL);
			break;
		case 'T':
			hg_body_option(o, HG_UPLOAD_FILE, optarg);
			break;
		case 'X':
			hg_body_option(o, HG_METHOD, optarg);
			break;
		case 'f':
			o->fail = 1;
			break;
		case 'H':
			add_header(o, optarg);
			break;
		case 'i':
			o->include = 1;
			break;
		case 'I':
			o->head = 1;
			break;
		case 'k':
			o->insecure = 1;
			break;
		case 'L':
			o->follow = 1;
			break;
		case 'm':
			o->max_time = cmd_seconds("max time", optarg, 1e9);
			break;
		case 'o':
			if ((*files = reallocarray(*files, (size_t)*nfiles + 1,
			    sizeof(**files))) == NULL)
				err(AC_EXIT_FAIL, "http-get");
			(*files)[(*nfiles)++] = optarg;
			break;
		case 'O':
			o->remote_name = 1;
			break;
		case 'r':
			if (!hg_range_ok(optarg))
				cmd_usage_error(&acore_cmd_http_get, "bad range "
				    "'%s' (want FIRST-LAST, FIRST- or -LAST, "
				    "comma-separated)", optarg);
			free(o->range);
			if (asprintf(&o->range, "bytes=%s", optarg) < 0)
				err(AC_EXIT_FAIL, "http-get");
			break;
		case 's':
			o->silent = 1;
			break;
		case 'S':
			o->show_error = 1;
			break;
		case 'U':
			o->proxy_user = optarg;
			break;
		case 'x':
			o->proxy = optarg;
			break;
		case OPT_NOPROXY:
			o->noproxy = optarg;
			break;
		case 'v':
			cmd_verbose(1);
			break;
		case 'w':
			if (hg_write_out_check(optarg, &why) < 0)
				cmd_usage_error(&acore_cmd_http_get, "-w: %s",
				    why);
			o->write_out = optarg;
			break;
		case 'Z':
			if (optarg != NULL)
				o->parallel = (long)cmd_number("parallel-max",
				    optarg, 1, 100000);
#ifdef __clang_analyzer__
			/* scan-build: getopt_long() sets optarg afresh. */
			optarg = "";
#endif
			break;
		case OPT_PARALLEL_MAX:
			o->parallel = (long)cmd_number("parallel-max", optarg,
			    1, 100000);
			break;
		case OPT_ABSOLUTE:
			o->absolute = 1;
			break;
		case OPT_CACERT:
			o->cacert = optarg;
			break;
		case OPT_CAPATH:
			o->capath = optarg;
			break;
		case OPT_CIPHERS:
			o->ciphers = optarg;
			break;
		case OPT_TLS13_CIPHERS:
			o->tls13_ciphers = optarg;
			break;
		case OPT_CHUNK:
			o->chunk = cmd_size("chunk size", optarg, 1, MAX_CHUNK);
			break;
		case OPT_COMPRESSED:
			o->compressed = 1;
			break;
		case OPT_CONNECT:
			o->connect_timeout = cmd_seconds("connect timeout",
			    optarg, 1e9);
			break;
		case OPT_HOST_CONNS:
			o->host_conns = (long)cmd_number("max-host-conns",
			    optarg, 1, 100000);
			break;
		case OPT_LOCATION_TRUSTED:
			o->follow = o->trusted = 1;	/* curl's -L too */
			break;
		case OPT_LOOP_COUNTER:
			o->loop_counter = 1;
			break;
		case OPT_MAX_REDIRS:
			o->max_redirs = (int)cmd_number("max-redirs", optarg,
			    0, 1000);
			break;
		case OPT_NO_FAIL:
			o->fail = 0;
			break;
		case OPT_NO_PROGRESS:
			o->progress = -1;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_RAW:
			o->raw = 1;
			break;
		case OPT_RETRY:
			o->retry = (int)cmd_number("retry", optarg, 0, 100);
			break;
		case OPT_RETRY_DELAY:
			o->retry_delay = cmd_seconds("retry delay", optarg,
			    3600);
			break;
		case OPT_SHOW_READS:
			o->raw = o->show_reads = 1;
			break;
		case OPT_SUMMARY:
			o->summary = 1;
			break;
		case OPT_RESOLVE:
			if (hg_resolve_add(o, optarg) < 0)
				cmd_usage_error(&acore_cmd_http_get, "bad "
				    "--resolve '%s' (want [+]HOST:PORT:ADDR"
				    "[,ADDR]... with numeric addresses, or "
				    "-HOST:PORT)", optarg);
			break;
		case OPT_UNIX_SOCKET:
			o->unix_socket = optarg;
			break;
		case OPT_LIMIT_RATE:
			o->limit_rate = cmd_size("limit rate", optarg, 1,
			    (size_t)1 << 40);
			break;
		default:
			return cmd_bad_option(&acore_cmd_http_get, ch, argv);
		}
	}
	check_combination(o, *nfiles);
	return 0;
}
