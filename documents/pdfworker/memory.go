package pdfworker

import "sync/atomic"

// wasmMemory allocates PDFium's WebAssembly linear memory outside the Go
// heap: on Linux, one anonymous mapping, reserved without access up to the limit
// and made readable and writable as the module grows. Growing never
// copies (wazero's default appends to a Go slice, which briefly holds the
// old and the new memory, doubling the resident peak), and the Go memory
// limit governs only Go's own heap. A growth beyond the limit fails inside
// the module, so PDFium's allocation fails instead of the process
// outgrowing the cap; exceeded reports that it happened. Elsewhere it is a
// Go slice with the limit.
type wasmMemory struct {
	limit    uint64
	exceeded atomic.Bool
}

// sliceMemory is the fallback when the reservation fails: a Go slice, as
// wazero would use, but with the limit.
type sliceMemory struct {
	a     *wasmMemory
	limit uint64
	buf   []byte
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.a.exceeded.Store(true)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	nb := make([]byte, size, min(m.limit, max(size, 2*uint64(cap(m.buf)))))
	copy(nb, m.buf)
	m.buf = nb
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
