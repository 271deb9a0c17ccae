package pdfworker

import (
	"sync/atomic"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// wasmMemory allocates PDFium's WebAssembly linear memory outside the Go
// heap: one anonymous mapping, reserved without access up to the limit
// and made readable and writable as the module grows. Growing never
// copies (wazero's default appends to a Go slice, which briefly holds the
// old and the new memory, doubling the resident peak), and the Go memory
// limit governs only Go's own heap. A growth beyond the limit fails inside
// the module, so PDFium's allocation fails instead of the process
// outgrowing the cap; exceeded reports that it happened.
type wasmMemory struct {
	limit    uint64
	exceeded atomic.Bool
}

// Allocate implements experimental.MemoryAllocator.
func (a *wasmMemory) Allocate(capacity, max uint64) experimental.LinearMemory {
	reserve := max
	if a.limit > 0 && reserve > a.limit {
		reserve = a.limit
	}
	b, err := syscall.Mmap(-1, 0, int(reserve), syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return &sliceMemory{a: a, limit: reserve}
	}
	return &mmapMemory{a: a, buf: b}
}

// mmapMemory is one linear memory in a reserved mapping.
type mmapMemory struct {
	a         *wasmMemory
	buf       []byte // the whole reservation
	committed int    // bytes made accessible
}

// Reallocate implements experimental.LinearMemory.
func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		m.a.exceeded.Store(true)
		return nil
	}
	if n := int(size); n > m.committed {
		// Wasm pages are 64 KiB, a multiple of the OS page size.
		if err := syscall.Mprotect(m.buf[m.committed:n], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			m.a.exceeded.Store(true)
			return nil
		}
		m.committed = n
	}
	return m.buf[:size:size]
}

// Free implements experimental.LinearMemory.
func (m *mmapMemory) Free() {
	if m.buf != nil {
		syscall.Munmap(m.buf)
		m.buf = nil
	}
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
