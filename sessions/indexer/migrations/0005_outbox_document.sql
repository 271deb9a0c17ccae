-- The indexer deletes a batch's outbox rows document by document
-- (consumer, document, up to the row it read). Without an index on the
-- document each of those deletes read every due row of the consumer: a
-- rebuild, which puts every document into the outbox first, read the
-- outbox once per document — quadratic in the number of documents.
CREATE INDEX search_outbox_document ON search_outbox (consumer, document_id);
