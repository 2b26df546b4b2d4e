//go:build cgo && linux

package main

// Before the Go runtime starts, a call that is none of ci-jwt's business goes straight to runc
// (package fastpath). The program opts in here, so that no test binary takes that path.

/*
extern void cijwt_fastpath(void);

__attribute__((constructor)) static void ci_jwt_runtime_fastpath(void) {
	cijwt_fastpath();
}
*/
import "C"

import _ "github.com/cijwt/ci-jwt/runtime/internal/fastpath"
