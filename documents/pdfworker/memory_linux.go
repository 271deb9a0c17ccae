package pdfworker

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

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
