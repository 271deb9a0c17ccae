package blobtest_test

import (
	"testing"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
)

// The fake that other packages' tests use keeps the same contract as the
// real stores.
func TestMemory(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore { return blobtest.NewMemory() })
}

func TestMemoryZeroValue(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore { return new(blobtest.Memory) })
}
