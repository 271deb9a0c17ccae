-- The index a batch's deletes by document use: the PostgreSQL spelling
-- of ../0005_outbox_documents.sql, whose comment says why.
CREATE INDEX search_outbox_document ON search_outbox (consumer, document_id);
