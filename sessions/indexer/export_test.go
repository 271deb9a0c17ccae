package indexer

// PickQuery and BatchRowsQuery are the statements a batch reads the
// outbox with, for the tests of their plans.
const (
	PickQuery      = pickQuery
	BatchRowsQuery = batchRowsQuery
)
