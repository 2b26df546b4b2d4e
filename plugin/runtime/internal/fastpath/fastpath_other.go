//go:build !cgo || !linux

// Package fastpath lets ci-jwt-runtime hand a call that is none of ci-jwt's business to runc
// before the Go runtime starts; it needs cgo on Linux, and this build has none, so every call
// goes through the Go flow (the same decisions, at Go's start cost).
package fastpath
