//go:build pprofdebug

package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

// A profiling build (go build -tags pprofdebug) serves net/http/pprof at
// RATSMAPPE_PPROF (an address such as 127.0.0.1:6060), for measuring the
// server's own CPU under load; never part of a release.
func init() {
	if a := os.Getenv("RATSMAPPE_PPROF"); a != "" {
		go http.ListenAndServe(a, nil)
	}
}
