//go:build !linux

package pdfworker

import "github.com/tetratelabs/wazero/experimental"

// Allocate implements experimental.MemoryAllocator: a Go slice with the
// limit (the reserved mapping is Linux only).
func (a *wasmMemory) Allocate(capacity, max uint64) experimental.LinearMemory {
	limit := max
	if a.limit > 0 && limit > a.limit {
		limit = a.limit
	}
	return &sliceMemory{a: a, limit: limit}
}
