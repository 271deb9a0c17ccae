-- A drained batch deletes its rows document by document (consumer,
-- document_id, id up to the one read). Through search_outbox_consumer
-- each of those deletes read every due row of the consumer: a batch of
-- 500 after a large import or during a rebuild (tens of thousands of
-- rows) held the write lock for 10–25 s, and every other writer (the
-- outboxes, the notices worker) waited behind it.
CREATE INDEX search_outbox_document ON search_outbox (consumer, document_id);
