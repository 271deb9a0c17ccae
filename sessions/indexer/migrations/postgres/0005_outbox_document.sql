-- The PostgreSQL spelling of ../0005_outbox_document.sql, whose comment
-- says why.
CREATE INDEX search_outbox_document ON search_outbox (consumer, document_id);
