//go:build cgo && linux

// Package fastpath lets ci-jwt-runtime take the calls it is sure of before the Go runtime
// starts: a C constructor (the way runc's own nsenter runs before Go) reads the command line as
// package runcargs does and, when it is certain of every step, takes the call itself. Go's start
// costs about 2 ms a call on a 2-CPU machine, this path about 0.3 ms when linked with musl as
// build.sh links it (BENCHMARKS.md); a container ci-jwt does not manage goes through the wrapper
// four or five times in its life, and one it manages asks the agent at two of them. It reads its
// arguments from /proc/self/cmdline (musl passes a constructor none) and its environment from
// environ.
//
// Every doubt (an unusual spelling of a path, a setting it does not know, a file it cannot read,
// an answer of the agent it does not act on) is left to the Go flow, which decides, reports and
// fails closed as before, and which asks the agent again where the fast path asked. It logs
// nothing. It executes runc at once for:
//
//   - every verb but create, run, exec, delete and the wrapper's own token;
//   - delete with no container id, and delete and exec of a container without the wrapper's
//     marker (package marker: no file of the marker's name, an FNV-1a hash);
//   - under the annotation source, create and run of a bundle whose config.json does not hold
//     the bytes "org.cijwt." nor any \u escape: no JSON reading of such a file can yield the
//     annotation org.cijwt.metadata, whose letters no other JSON escape stands for;
//   - under the concourse source, create and run outside Concourse's namespace.
//
// It asks the agent, then executes runc, for the create (and run) of every other bundle under
// those sources (the marker written, then POST /v1/containers with the id and bundle only: the
// agent reads the annotations itself; on 201, or 200 with CI-JWT-Managed: false), and for the
// delete of a container whose marker holds its key (DELETE ...?if=stopped; on 200, 204 or 404,
// then the marker removed): docs/runtime.md, "The fast path".
//
// The real runtime is found as the Go flow finds it (CI_JWT_RUNC, else runc on PATH, never this
// program); a PATH or socket path that is not absolute and clean is left to Go. The program opts
// in with its own constructor (cmd/ci-jwt-runtime), so a test binary never takes this path; the
// tests call Decide, which executes, asks and writes nothing, and compare the built program with
// the Go flow.
package fastpath

/*
#cgo CFLAGS: -D_GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

// What the fast path does with a call: leave it to the Go flow, execute runc at once, or first
// have the agent deliver (create) or forget (delete) the container and then execute runc.
enum { CIJWT_GO = 0, CIJWT_RUNC = 1, CIJWT_DELIVER = 2, CIJWT_FORGET = 3 };

// The most of config.json the Go flow reads (bundle.maxConfigBytes); past it, Go decides.
#define CIJWT_MAX_CONFIG (4 << 20)

// cijwt_env is the value of variable name in envp as Go's os.Getenv reads it (the first entry of
// that name), NULL when there is none.
static const char *cijwt_env(char **envp, const char *name) {
	size_t n = strlen(name);
	for (; envp && *envp; envp++) {
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=') {
			return *envp + n + 1;
		}
	}
	return NULL;
}

// cijwt_setting is a variable that the Go flow only heeds when it is not empty.
static const char *cijwt_setting(char **envp, const char *name) {
	const char *v = cijwt_env(envp, name);
	return v != NULL && *v != '\0' ? v : NULL;
}

// A flag as Go's flag package spells it (runcargs.splitFlag).
struct cijwt_flag {
	const char *name;
	size_t name_len;
	const char *value;
	int has_value;
};

// cijwt_split_flag reads arg as runcargs.splitFlag does; 0 for an argument that is not a flag.
static int cijwt_split_flag(const char *arg, struct cijwt_flag *f) {
	if (arg[0] != '-' || arg[1] == '\0') {
		return 0;
	}
	const char *name = arg + 1;
	if (*name == '-') {
		name++;
	}
	const char *eq = strchr(name, '=');
	f->name = name;
	f->name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	f->value = eq != NULL ? eq + 1 : "";
	f->has_value = eq != NULL;
	return 1;
}

static int cijwt_flag_in(const struct cijwt_flag *f, const char *const *names) {
	for (; names != NULL && *names != NULL; names++) {
		if (strlen(*names) == f->name_len && memcmp(f->name, *names, f->name_len) == 0) {
			return 1;
		}
	}
	return 0;
}

// The flags that take a value, as runcargs has them.
static const char *const cijwt_global_values[] = {"root", "log", "log-format", "criu", "rootless", NULL};
static const char *const cijwt_create_values[] = {"bundle", "b", "console-socket", "pid-file", "preserve-fds",
	"pidfd-socket", NULL};
static const char *const cijwt_exec_values[] = {"console-socket", "pidfd-socket", "cwd", "env", "e", "user", "u",
	"additional-gids", "g", "process", "p", "apparmor", "process-label", "pid-file", "cap", "c", "preserve-fds",
	"cgroup", NULL};
static const char *const cijwt_root[] = {"root", NULL};
static const char *const cijwt_bundle[] = {"bundle", "b", NULL};

// What the fast path reads of a command line: runcargs.Invocation's verb, id, root and bundle.
struct cijwt_invocation {
	const char *verb; // NULL when the line has none
	const char *id;
	const char *root;
	const char *bundle; // create and run only
};

// cijwt_parse is runcargs.Parse, for the fields above.
static void cijwt_parse(int n, char **args, struct cijwt_invocation *inv) {
	struct cijwt_flag f;
	inv->verb = NULL;
	inv->id = "";
	inv->root = "";
	inv->bundle = NULL;
	int i = 0;
	for (; i < n; i++) {
		if (strcmp(args[i], "--") == 0) {
			i++;
			break;
		}
		if (!cijwt_split_flag(args[i], &f)) {
			break;
		}
		const char *value = f.value;
		if (!f.has_value && cijwt_flag_in(&f, cijwt_global_values) && i + 1 < n) {
			value = args[++i];
		}
		if (cijwt_flag_in(&f, cijwt_root)) {
			inv->root = value;
		}
	}
	if (i >= n) {
		return;
	}
	inv->verb = args[i];
	int creates = strcmp(inv->verb, "create") == 0 || strcmp(inv->verb, "run") == 0;
	int execs = strcmp(inv->verb, "exec") == 0;
	const char *const *with_value = creates ? cijwt_create_values : execs ? cijwt_exec_values : NULL;
	for (int j = i + 1; j < n; j++) {
		if (strcmp(args[j], "--") == 0) {
			if (j + 1 < n) {
				inv->id = args[n - 1];
			}
			break;
		}
		if (!cijwt_split_flag(args[j], &f)) {
			inv->id = args[j];
			if (execs) {
				break;
			}
			continue;
		}
		const char *value = f.value;
		if (!f.has_value && cijwt_flag_in(&f, with_value) && j + 1 < n) {
			value = args[++j];
		}
		if (creates && cijwt_flag_in(&f, cijwt_bundle)) {
			inv->bundle = value;
		}
	}
	if (creates && (inv->bundle == NULL || *inv->bundle == '\0')) {
		inv->bundle = ".";
	}
}

// cijwt_clean_absolute says whether s[0:len) is an absolute path that Go's filepath.Clean leaves
// as it is: "/", or "/" then non-empty names, none of them "." or "..".
static int cijwt_clean_absolute(const char *s, size_t len) {
	if (len == 0 || s[0] != '/') {
		return 0;
	}
	size_t start = 1;
	for (size_t k = 1; len > 1 && k <= len; k++) {
		if (k == len || s[k] == '/') {
			size_t c = k - start;
			if (c == 0 || (c == 1 && s[start] == '.') || (c == 2 && s[start] == '.' && s[start + 1] == '.')) {
				return 0;
			}
			start = k + 1;
		}
	}
	return 1;
}

// cijwt_has_dotdot says whether path has a ".." name, which Go's filepath.Join would take away
// by its letters where the kernel follows it through a symbolic link.
static int cijwt_has_dotdot(const char *path) {
	for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) {
			return 1;
		}
	}
	return 0;
}

// cijwt_real_runtime is wrapper.realRuntime: CI_JWT_RUNC, else the first executable runc on PATH
// that is not self. 0 when Go should decide (no runc, self, or a PATH entry Go would clean).
static int cijwt_real_runtime(char **envp, const char *self, char *out) {
	char resolved[PATH_MAX];
	const char *p = cijwt_setting(envp, "CI_JWT_RUNC");
	if (p != NULL) {
		if (strlen(p) >= PATH_MAX || realpath(p, resolved) == NULL || strcmp(resolved, self) == 0) {
			return 0;
		}
		strcpy(out, p);
		return 1;
	}
	const char *dir = cijwt_env(envp, "PATH");
	if (dir == NULL || *dir == '\0') {
		return 0;
	}
	for (;;) {
		const char *end = strchrnul(dir, ':');
		size_t len = (size_t)(end - dir);
		if (!cijwt_clean_absolute(dir, len) || len + sizeof "/runc" > PATH_MAX) {
			return 0;
		}
		char candidate[PATH_MAX];
		snprintf(candidate, sizeof candidate, "%.*s/runc", len == 1 ? 0 : (int)len, dir);
		struct stat st;
		if (stat(candidate, &st) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111) != 0) {
			if (realpath(candidate, resolved) == NULL) {
				return 0;
			}
			if (strcmp(resolved, self) != 0) {
				strcpy(out, candidate);
				return 1;
			}
		}
		if (*end == '\0') {
			return 0;
		}
		dir = end + 1;
	}
}

// cijwt_marker_hash is marker.Name's hash: FNV-1a, 64 bits, over root, a zero byte and id.
static uint64_t cijwt_marker_hash(const char *root, const char *id) {
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)root; *p != 0; p++) {
		h = (h ^ *p) * 1099511628211ULL;
	}
	h *= 1099511628211ULL; // the zero byte: h ^ 0 is h
	for (const unsigned char *p = (const unsigned char *)id; *p != 0; p++) {
		h = (h ^ *p) * 1099511628211ULL;
	}
	return h;
}

// What the fast path needs to ask the agent about one container: its socket, the timeout of each
// step of a request, and the container's marker (package marker) with the content it holds.
struct cijwt_agent {
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	long timeout_ms;
	char marker[PATH_MAX];
	char content[PATH_MAX + 1200];
};

// cijwt_plain says whether s is printable ASCII without '"' and '\\': strconv.Quote and a JSON
// string hold it as it is, between quotes.
static int cijwt_plain(const char *s) {
	for (const unsigned char *p = (const unsigned char *)s; *p != 0; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\') {
			return 0;
		}
	}
	return 1;
}

// cijwt_runc_id says whether id is a container id as runc takes it (letters, digits, _ + - .; at
// most 1024), which url.PathEscape and a JSON string leave as they are.
static int cijwt_runc_id(const char *id) {
	size_t n = strlen(id);
	if (n == 0 || n > 1024) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' ||
				c == '.')) {
			return 0;
		}
	}
	return 1;
}

// cijwt_timeout is CI_JWT_AGENT_TIMEOUT in milliseconds, as Go reads it when it is unset or a
// number of ms or s (the default 10 s); 0 for any other spelling, which Go reads.
static long cijwt_timeout(char **envp) {
	const char *v = cijwt_env(envp, "CI_JWT_AGENT_TIMEOUT");
	if (v == NULL || *v == '\0') {
		return 10000;
	}
	long n = 0;
	int digits = 0;
	for (; *v >= '0' && *v <= '9' && digits < 7; v++, digits++) {
		n = n * 10 + (*v - '0');
	}
	if (digits == 0 || n == 0) {
		return 0;
	}
	if (strcmp(v, "ms") == 0) {
		return n;
	}
	return strcmp(v, "s") == 0 ? n * 1000 : 0;
}

// cijwt_marker_of fills in the agent's socket and the container's marker path (package marker:
// the directory "runtime" beside the agent's socket, the file named by the FNV-1a 64-bit hash of
// root, a zero byte and id, in hex). 0 when Go should decide (a socket path Go would clean).
static int cijwt_marker_of(char **envp, const struct cijwt_invocation *inv, struct cijwt_agent *a) {
	const char *socket = cijwt_setting(envp, "CI_JWT_AGENT_SOCKET");
	if (socket == NULL) {
		socket = "/run/ci-jwt/agent.sock";
	}
	size_t len = strlen(socket);
	if (len < 2 || len >= sizeof a->socket || !cijwt_clean_absolute(socket, len)) {
		return 0;
	}
	strcpy(a->socket, socket);
	size_t dir_len = (size_t)(strrchr(socket, '/') - socket);
	return snprintf(a->marker, sizeof a->marker, "%.*s/runtime/%016llx", (int)dir_len, socket,
			(unsigned long long)cijwt_marker_hash(inv->root, inv->id)) < (int)sizeof a->marker;
}

// cijwt_agent_ready completes a for a request about the container: the timeout, and the marker's
// content (marker.content: root and id quoted, one a line). 0 when Go should ask instead: an id,
// root or timeout the C reading does not take as Go does.
static int cijwt_agent_ready(char **envp, const struct cijwt_invocation *inv, struct cijwt_agent *a) {
	a->timeout_ms = cijwt_timeout(envp);
	return a->timeout_ms > 0 && cijwt_runc_id(inv->id) && cijwt_plain(inv->root) &&
		snprintf(a->content, sizeof a->content, "\"%s\"\n\"%s\"\n", inv->root, inv->id) < (int)sizeof a->content;
}

// cijwt_read_small reads at most max bytes of the regular file path into buf: the count, -1 when
// it cannot be read or is longer.
static ssize_t cijwt_read_small(const char *path, char *buf, size_t max) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		return -1;
	}
	size_t total = 0;
	ssize_t got = 1;
	while (got > 0 && total <= max) {
		got = read(fd, buf + total, max + 1 - total);
		if (got < 0 && errno == EINTR) {
			got = 1;
			continue;
		}
		total += got > 0 ? (size_t)got : 0;
	}
	close(fd);
	return got < 0 || total > max ? -1 : (ssize_t)total;
}

// cijwt_marked_here says whether the marker holds this container's key (marker.Marked).
static int cijwt_marked_here(const struct cijwt_agent *a) {
	char got[sizeof a->content];
	size_t want = strlen(a->content);
	ssize_t n = cijwt_read_small(a->marker, got, want);
	return n == (ssize_t)want && memcmp(got, a->content, want) == 0;
}

// cijwt_config_scan reads the bundle's config.json for the annotation: 1 when it certainly lacks
// it (a regular file of at most CIJWT_MAX_CONFIG bytes without "org.cijwt." or "\\u" in it, so no
// JSON reading of it can yield the annotation org.cijwt.metadata, whose letters no other JSON
// escape stands for), 2 when it may hold it, 0 when Go should read it (no such file, not a
// regular file, too long, a path Go would clean).
static int cijwt_config_scan(const char *bundle) {
	char path[PATH_MAX];
	if (cijwt_has_dotdot(bundle) || snprintf(path, sizeof path, "%s/config.json", bundle) >= (int)sizeof path) {
		return 0;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		return 0;
	}
	struct stat st;
	char *data = NULL;
	size_t total = 0;
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (data = malloc(CIJWT_MAX_CONFIG + 1)) != NULL;
	while (ok && total <= CIJWT_MAX_CONFIG) {
		ssize_t got = read(fd, data + total, CIJWT_MAX_CONFIG + 1 - total);
		if (got == 0) {
			break;
		}
		ok = got > 0;
		total += got > 0 ? (size_t)got : 0;
	}
	close(fd);
	int scan = 0;
	if (ok && total <= CIJWT_MAX_CONFIG) {
		scan = memmem(data, total, "org.cijwt.", 10) == NULL && memmem(data, total, "\\u", 2) == NULL ? 1 : 2;
	}
	free(data);
	return scan;
}

// cijwt_base_is is whether Go's filepath.Base(path) is name.
static int cijwt_base_is(const char *path, const char *name) {
	size_t len = strlen(path);
	if (len == 0) {
		return strcmp(name, ".") == 0;
	}
	while (len > 0 && path[len - 1] == '/') {
		len--;
	}
	if (len == 0) {
		return strcmp(name, "/") == 0;
	}
	size_t start = len;
	while (start > 0 && path[start - 1] != '/') {
		start--;
	}
	return strlen(name) == len - start && memcmp(path + start, name, len - start) == 0;
}

// cijwt_create_action is what the fast path does with a create (or run) of inv: execute runc at
// once for a container that is certainly not ci-jwt's, have the agent deliver first for one that
// may be (CIJWT_DELIVER, a filled in), else leave it to Go.
static int cijwt_create_action(char **envp, const struct cijwt_invocation *inv, struct cijwt_agent *a) {
	const char *identity = cijwt_env(envp, "CI_JWT_IDENTITY_SOURCE");
	if (identity == NULL || *identity == '\0' || strcmp(identity, "annotation") == 0) {
		int scan = cijwt_config_scan(inv->bundle);
		if (scan != 2) {
			return scan == 1 ? CIJWT_RUNC : CIJWT_GO;
		}
	} else if (strcmp(identity, "concourse") == 0) {
		const char *ns = cijwt_setting(envp, "CI_JWT_CONCOURSE_NAMESPACE");
		if (!cijwt_base_is(inv->root, ns != NULL ? ns : "concourse")) {
			return CIJWT_RUNC;
		}
	} else {
		return CIJWT_GO;
	}
	// The agent is told the bundle as Go would tell it (filepath.Abs): only a clean absolute one here.
	size_t len = strlen(inv->bundle);
	if (!cijwt_clean_absolute(inv->bundle, len) || len < 2 || !cijwt_plain(inv->bundle) || !cijwt_marker_of(envp, inv, a) ||
			!cijwt_agent_ready(envp, inv, a)) {
		return CIJWT_GO;
	}
	return CIJWT_DELIVER;
}

// cijwt_fastpath_decide is what the fast path does with the call argv: CIJWT_RUNC (runc's path in
// runc_out, PATH_MAX bytes), CIJWT_DELIVER or CIJWT_FORGET (runc's path, and a filled in), or
// CIJWT_GO. self is this program's resolved path. It executes, asks and writes nothing.
int cijwt_fastpath_decide(int argc, char **argv, char **envp, const char *self, char *runc_out, struct cijwt_agent *a) {
	if (argc < 1 || argv == NULL) {
		return CIJWT_GO;
	}
	int n = argc - 1;
	char **args = argv + 1;
	if (n > 0 && strcmp(args[0], "token") == 0) {
		return CIJWT_GO;
	}
	if (!cijwt_real_runtime(envp, self, runc_out)) {
		return CIJWT_GO;
	}
	struct cijwt_invocation inv;
	cijwt_parse(n, args, &inv);
	if (inv.verb == NULL) {
		return CIJWT_RUNC;
	}
	if (strcmp(inv.verb, "create") == 0 || strcmp(inv.verb, "run") == 0) {
		return cijwt_create_action(envp, &inv, a);
	}
	int deletes = strcmp(inv.verb, "delete") == 0;
	if (deletes && *inv.id == '\0') {
		return CIJWT_RUNC;
	}
	if (deletes || strcmp(inv.verb, "exec") == 0) {
		if (!cijwt_marker_of(envp, &inv, a)) {
			return CIJWT_GO;
		}
		struct stat st;
		// As marker.Marked: no file, no marker, whatever lstat's reason.
		if (lstat(a->marker, &st) != 0) {
			return CIJWT_RUNC;
		}
		// A marked container: the agent is asked to forget it at its delete when the marker holds
		// its own key; a file of that name with another's key, and every exec, go to Go.
		return deletes && cijwt_agent_ready(envp, &inv, a) && cijwt_marked_here(a) ? CIJWT_FORGET : CIJWT_GO;
	}
	return CIJWT_RUNC;
}

// cijwt_ask sends one HTTP/1.0 request of len bytes to the agent's socket and reads its answer
// to the end (the agent closes the connection after it), or to 80 KiB as the Go client reads at
// most; the first 16 KiB are kept in answer, NUL-terminated. It returns the answer's status, or 0
// when no HTTP answer came, and then nothing can be said of what the agent did. Each step
// (connect, send, each read) takes at most the timeout.
static int cijwt_ask(const struct cijwt_agent *a, const char *req, size_t len, char *answer, size_t answer_size) {
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return 0;
	}
	struct timeval tv = {.tv_sec = a->timeout_ms / 1000, .tv_usec = (a->timeout_ms % 1000) * 1000};
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strcpy(addr.sun_path, a->socket);
	int ok = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
	if (ok) {
		int c;
		while ((c = connect(fd, (struct sockaddr *)&addr, sizeof addr)) != 0 && errno == EINTR) {
		}
		ok = c == 0;
	}
	for (size_t sent = 0; ok && sent < len;) {
		// MSG_NOSIGNAL: an agent gone away is an error here, never a SIGPIPE.
		ssize_t w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		ok = w > 0;
		sent += w > 0 ? (size_t)w : 0;
	}
	size_t kept = 0, total = 0;
	while (ok && total < (80 << 10)) {
		char spill[4096];
		char *into = kept + 1 < answer_size ? answer + kept : spill;
		size_t room = kept + 1 < answer_size ? answer_size - 1 - kept : sizeof spill;
		ssize_t got = read(fd, into, room);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got == 0) {
			break;
		}
		ok = got > 0;
		kept += got > 0 && into != spill ? (size_t)got : 0;
		total += got > 0 ? (size_t)got : 0;
	}
	close(fd);
	answer[kept] = '\0';
	// As the Go client reads it: "HTTP/1." then a status of three digits.
	if (!ok || kept < 12 || strncmp(answer, "HTTP/1.", 7) != 0 || answer[8] != ' ') {
		return 0;
	}
	int status = 0;
	for (int i = 9; i < 12; i++) {
		if (answer[i] < '0' || answer[i] > '9') {
			return 0;
		}
		status = status * 10 + (answer[i] - '0');
	}
	return status >= 100 && (answer[12] == ' ' || answer[12] == '\r') ? status : 0;
}

// cijwt_not_managed says whether the answer carries the agent's header CI-JWT-Managed: false,
// which it sends with a 200 to a create it leaves alone (docs/agent.md).
static int cijwt_not_managed(const char *answer) {
	const char *end = strstr(answer, "\r\n\r\n");
	for (const char *line = strstr(answer, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "CI-JWT-Managed: false\r\n", 23) == 0) {
			return 1;
		}
	}
	return 0;
}

// cijwt_deliver writes the container's marker and asks the agent to deliver its tokens, telling
// it the id and bundle only: under the annotation source the agent reads the annotations itself,
// under the concourse source it asks Concourse. 1 when runc may go on: delivered (201), or left
// alone (200 and CI-JWT-Managed: false, the marker removed). 0 leaves the call to Go, which asks
// again and reports: after any other answer the marker is removed (the agent delivered nothing),
// after none it stays (the agent may have delivered before the answer was lost).
static int cijwt_deliver(const struct cijwt_agent *a, const struct cijwt_invocation *inv) {
	int fd = open(a->marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		// The first container: the marker directory, as marker.Mark makes it (its parent, the
		// socket's directory, is the agent's; when that is missing too, Go reports).
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", a->marker);
		*strrchr(dir, '/') = '\0';
		if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
			fd = open(a->marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		}
	}
	if (fd < 0) {
		return 0; // Go tries again, and reports
	}
	size_t len = strlen(a->content);
	int written = write(fd, a->content, len) == (ssize_t)len;
	if (close(fd) != 0 || !written) {
		unlink(a->marker);
		return 0;
	}
	char body[PATH_MAX + 1200], req[PATH_MAX + 1500], answer[16 << 10];
	int body_len = snprintf(body, sizeof body, "{\"id\":\"%s\",\"bundle\":\"%s\"}", inv->id, inv->bundle);
	int req_len = snprintf(req, sizeof req,
			"POST /v1/containers HTTP/1.0\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			body_len, body);
	if (body_len >= (int)sizeof body || req_len >= (int)sizeof req) {
		unlink(a->marker);
		return 0;
	}
	int status = cijwt_ask(a, req, (size_t)req_len, answer, sizeof answer);
	if (status == 201) {
		return 1;
	}
	if (status != 0) {
		unlink(a->marker);
	}
	return status == 200 && cijwt_not_managed(answer);
}

// cijwt_forget asks the agent to forget a delivered container whose init process has ended
// (DELETE /v1/containers/{id}?if=stopped) and removes its marker: 1 when the agent forgot it or
// never knew it (200, 204, 404), so runc may delete it. 0 leaves the call to Go: the container
// still runs (409), or no answer came.
static int cijwt_forget(const struct cijwt_agent *a, const struct cijwt_invocation *inv) {
	char req[1300], answer[16 << 10];
	int req_len = snprintf(req, sizeof req, "DELETE /v1/containers/%s?if=stopped HTTP/1.0\r\nHost: agent\r\n\r\n", inv->id);
	if (req_len >= (int)sizeof req) {
		return 0;
	}
	int status = cijwt_ask(a, req, (size_t)req_len, answer, sizeof answer);
	if (status != 200 && status != 204 && status != 404) {
		return 0;
	}
	// As marker.Unmark; a marker that stays costs a later call one more question, nothing else.
	unlink(a->marker);
	return 1;
}

// cijwt_cmdline reads this process's arguments from /proc/self/cmdline (musl passes none to a
// constructor, glibc does; the kernel's copy serves both): argc, and in *argv an array of them,
// NULL-terminated, pointing into one allocation. 0 when they cannot be read, or exceed 1 MiB.
static int cijwt_cmdline(int *argc, char ***argv) {
	enum { max = 1 << 20 };
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	char *data = malloc(max + 1);
	size_t total = 0;
	ssize_t got = 1;
	while (data != NULL && got > 0 && total <= max) {
		got = read(fd, data + total, max + 1 - total);
		total += got > 0 ? (size_t)got : 0;
	}
	close(fd);
	if (data == NULL || got < 0 || total > max || total == 0 || data[total - 1] != '\0') {
		free(data);
		return 0;
	}
	int n = 0;
	for (size_t i = 0; i < total; i++) {
		n += data[i] == '\0';
	}
	char **args = malloc(((size_t)n + 1) * sizeof *args);
	if (args == NULL) {
		free(data);
		return 0;
	}
	char *p = data;
	for (int i = 0; i < n; i++) {
		args[i] = p;
		p += strlen(p) + 1;
	}
	args[n] = NULL;
	*argc = n;
	*argv = args;
	return 1;
}

// cijwt_fastpath executes runc in place of this program when cijwt_fastpath_decide says so, after
// the agent's answer when it says to ask, and otherwise returns, so that the Go flow runs (and
// reports, should execve have failed). Its arguments are the kernel's copy of the command line,
// its environment the C library's environ.
void cijwt_fastpath(void) {
	char self[PATH_MAX], runc[PATH_MAX];
	struct cijwt_agent agent;
	int argc;
	char **argv;
	if (environ == NULL || !cijwt_cmdline(&argc, &argv)) {
		return;
	}
	char *data = argv[0]; // the start of the one allocation the arguments point into
	int action = realpath("/proc/self/exe", self) != NULL ? cijwt_fastpath_decide(argc, argv, environ, self, runc, &agent) : CIJWT_GO;
	struct cijwt_invocation inv;
	cijwt_parse(argc - 1, argv + 1, &inv);
	int delivered = action == CIJWT_DELIVER && cijwt_deliver(&agent, &inv);
	if (action == CIJWT_RUNC || delivered || (action == CIJWT_FORGET && cijwt_forget(&agent, &inv))) {
		argv[0] = runc;
		execve(runc, argv, environ);
		if (delivered) {
			// The tokens are delivered and the marker stays, so the delete reaches the agent; the
			// Go flow would ask again and be refused. Its one line, as Go's flow writes it.
			fprintf(stderr, "ci-jwt-runtime: cannot execute %s: %s\n", runc, strerror(errno));
			_exit(1);
		}
	}
	// Left to the Go flow, which reads its arguments itself.
	free(data);
	free(argv);
}

// cijwt_parse_fields is cijwt_parse for the tests: the fields, verb NULL for none.
static void cijwt_parse_fields(int n, char **args, const char **fields) {
	struct cijwt_invocation inv;
	cijwt_parse(n, args, &inv);
	fields[0] = inv.verb;
	fields[1] = inv.id;
	fields[2] = inv.root;
	fields[3] = inv.bundle;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// cStrings is a C array of C strings holding ss, NULL-terminated, and the function that frees it.
func cStrings(ss []string) (**C.char, func()) {
	arr := (*[1 << 20]*C.char)(C.malloc(C.size_t(len(ss)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	for i, s := range ss {
		arr[i] = C.CString(s)
	}
	arr[len(ss)] = nil
	return &arr[0], func() {
		for i := range ss {
			C.free(unsafe.Pointer(arr[i]))
		}
		C.free(unsafe.Pointer(&arr[0]))
	}
}

// Action is what the fast path does with a call.
type Action int

const (
	// Go leaves the call to the Go flow.
	Go Action = iota
	// Runc executes runc at once.
	Runc
	// Deliver writes the container's marker, has the agent deliver, then executes runc.
	Deliver
	// Forget has the agent forget the container, removes its marker, then executes runc.
	Forget
)

// Decide is the fast path's decision for the wrapper's arguments args (without the program name)
// in environment env, self being the wrapper's resolved path: what it would do, and the runc it
// would then execute. It executes, asks and writes nothing.
func Decide(args, env []string, self string) (string, Action) {
	argv, freeArgv := cStrings(append([]string{"ci-jwt-runtime"}, args...))
	defer freeArgv()
	envp, freeEnvp := cStrings(env)
	defer freeEnvp()
	cself := C.CString(self)
	defer C.free(unsafe.Pointer(cself))
	out := (*C.char)(C.malloc(C.PATH_MAX))
	defer C.free(unsafe.Pointer(out))
	var agent C.struct_cijwt_agent
	action := Action(C.cijwt_fastpath_decide(C.int(len(args)+1), argv, envp, cself, out, &agent))
	if action == Go {
		return "", Go
	}
	return C.GoString(out), action
}

// MarkerName is the fast path's name for the marker of container id under root (marker.Name).
func MarkerName(root, id string) string {
	croot, cid := C.CString(root), C.CString(id)
	defer C.free(unsafe.Pointer(croot))
	defer C.free(unsafe.Pointer(cid))
	return fmt.Sprintf("%016x", uint64(C.cijwt_marker_hash(croot, cid)))
}

// Parsed is what the fast path reads of a command line, for comparison with runcargs.Parse.
type Parsed struct {
	Verb, ID, Root, Bundle string
}

// Parse is the fast path's reading of args (without the program name).
func Parse(args []string) Parsed {
	argv, free := cStrings(args)
	defer free()
	var fields [4]*C.char
	C.cijwt_parse_fields(C.int(len(args)), argv, &fields[0])
	str := func(p *C.char) string {
		if p == nil {
			return ""
		}
		return C.GoString(p)
	}
	return Parsed{Verb: str(fields[0]), ID: str(fields[1]), Root: str(fields[2]), Bundle: str(fields[3])}
}
