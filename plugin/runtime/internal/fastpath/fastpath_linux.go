//go:build cgo && linux

// Package fastpath lets ci-jwt-runtime hand a call that is none of ci-jwt's business to runc
// before the Go runtime starts: a C constructor (the way runc's own nsenter runs before Go) reads
// the command line as package runcargs does and, when it is certain that the Go flow would do
// nothing but execute runc with the same arguments, executes runc itself. Go's start costs about
// 2 ms a call on a 2-CPU machine, this path about 0.3 ms when linked with musl as build.sh links
// it (BENCHMARKS.md), and a container ci-jwt does not manage goes through the wrapper four or five
// times in its life. It reads its arguments from /proc/self/cmdline (musl passes a constructor
// none) and its environment from environ.
//
// The fast path only ever says "runc, now" or "ask Go": every doubt (an unusual spelling of a
// path, a setting it does not know, a file it cannot read, a config.json that might carry the
// annotation) is left to the Go flow, which decides, reports and fails closed as before. It does
// not log, ask the agent, write a file or read what Go would not. The calls it takes:
//
//   - every verb but create, run, exec, delete and the wrapper's own token;
//   - delete with no container id, and delete and exec of a container without the wrapper's
//     marker (package marker: no file of the marker's name, an FNV-1a hash);
//   - under the annotation source, create and run of a bundle whose config.json does not hold
//     the bytes "org.cijwt." nor any \u escape: no JSON reading of such a file can yield the
//     annotation org.cijwt.metadata, whose letters no other JSON escape stands for;
//   - under the concourse source, create and run outside Concourse's namespace.
//
// The real runtime is found as the Go flow finds it (CI_JWT_RUNC, else runc on PATH, never this
// program); a PATH or socket path that is not absolute and clean is left to Go. The program opts
// in with its own constructor (cmd/ci-jwt-runtime), so a test binary never takes this path; the
// tests call Decide, which executes nothing, and compare it with the Go flow.
package fastpath

/*
#cgo CFLAGS: -D_GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

// cijwt_unmarked says whether the container certainly has no marker of the wrapper's (package
// marker: the directory "runtime" beside the agent's socket, the file named by the FNV-1a 64-bit
// hash of root, a zero byte and id, in hex). A file of that name may hold another container's key,
// which only the Go flow tells: 0 then, and when Go should decide (a socket path Go would clean).
static int cijwt_unmarked(char **envp, const struct cijwt_invocation *inv) {
	const char *socket = cijwt_setting(envp, "CI_JWT_AGENT_SOCKET");
	if (socket == NULL) {
		socket = "/run/ci-jwt/agent.sock";
	}
	size_t len = strlen(socket);
	if (len < 2 || !cijwt_clean_absolute(socket, len)) {
		return 0;
	}
	size_t dir_len = (size_t)(strrchr(socket, '/') - socket);
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%.*s/runtime/%016llx", (int)dir_len, socket,
			(unsigned long long)cijwt_marker_hash(inv->root, inv->id)) >= (int)sizeof path) {
		return 0;
	}
	struct stat st;
	// As marker.Marked: no file, no marker, whatever lstat's reason.
	return lstat(path, &st) != 0;
}

// cijwt_not_annotated says whether the bundle's config.json certainly lacks the annotation: a
// regular file of at most CIJWT_MAX_CONFIG bytes without "org.cijwt." or "\u" in it.
static int cijwt_not_annotated(const char *bundle) {
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
	ok = ok && total <= CIJWT_MAX_CONFIG && memmem(data, total, "org.cijwt.", 10) == NULL &&
		memmem(data, total, "\\u", 2) == NULL;
	free(data);
	return ok;
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

// cijwt_fastpath_decide says whether the Go flow would do nothing but execute runc with argv's
// arguments: 1 with runc's path in runc_out (PATH_MAX bytes), else 0. self is this program's
// resolved path. It executes nothing and writes nothing.
int cijwt_fastpath_decide(int argc, char **argv, char **envp, const char *self, char *runc_out) {
	if (argc < 1 || argv == NULL) {
		return 0;
	}
	int n = argc - 1;
	char **args = argv + 1;
	if (n > 0 && strcmp(args[0], "token") == 0) {
		return 0;
	}
	if (!cijwt_real_runtime(envp, self, runc_out)) {
		return 0;
	}
	struct cijwt_invocation inv;
	cijwt_parse(n, args, &inv);
	if (inv.verb == NULL) {
		return 1;
	}
	if (strcmp(inv.verb, "create") == 0 || strcmp(inv.verb, "run") == 0) {
		const char *identity = cijwt_env(envp, "CI_JWT_IDENTITY_SOURCE");
		if (identity == NULL || *identity == '\0' || strcmp(identity, "annotation") == 0) {
			return cijwt_not_annotated(inv.bundle);
		}
		if (strcmp(identity, "concourse") == 0) {
			const char *ns = cijwt_setting(envp, "CI_JWT_CONCOURSE_NAMESPACE");
			return !cijwt_base_is(inv.root, ns != NULL ? ns : "concourse");
		}
		return 0;
	}
	if (strcmp(inv.verb, "delete") == 0) {
		return *inv.id == '\0' || cijwt_unmarked(envp, &inv);
	}
	if (strcmp(inv.verb, "exec") == 0) {
		return cijwt_unmarked(envp, &inv);
	}
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

// cijwt_fastpath executes runc in place of this program when cijwt_fastpath_decide says so, and
// otherwise returns, so that the Go flow runs (and reports, should execve have failed). Its
// arguments are the kernel's copy of the command line, its environment the C library's environ.
void cijwt_fastpath(void) {
	char self[PATH_MAX], runc[PATH_MAX];
	int argc;
	char **argv;
	if (environ == NULL || !cijwt_cmdline(&argc, &argv)) {
		return;
	}
	char *data = argv[0]; // the start of the one allocation the arguments point into
	if (realpath("/proc/self/exe", self) != NULL && cijwt_fastpath_decide(argc, argv, environ, self, runc)) {
		argv[0] = runc;
		execve(runc, argv, environ);
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

// Decide is the fast path's decision for the wrapper's arguments args (without the program name)
// in environment env, self being the wrapper's resolved path: the runc it would execute and true,
// or false when it would leave the call to the Go flow. It executes nothing.
func Decide(args, env []string, self string) (string, bool) {
	argv, freeArgv := cStrings(append([]string{"ci-jwt-runtime"}, args...))
	defer freeArgv()
	envp, freeEnvp := cStrings(env)
	defer freeEnvp()
	cself := C.CString(self)
	defer C.free(unsafe.Pointer(cself))
	out := (*C.char)(C.malloc(C.PATH_MAX))
	defer C.free(unsafe.Pointer(out))
	if C.cijwt_fastpath_decide(C.int(len(args)+1), argv, envp, cself, out) == 0 {
		return "", false
	}
	return C.GoString(out), true
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
