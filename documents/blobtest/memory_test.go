package blobtest_test

import (
	"testing"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/blobtest"
)

func TestMemory(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) documents.BlobStore { return blobtest.NewMemory() })
}
