-- The index a batch walks the due rows through in id order: the
-- PostgreSQL spelling of ../0006_outbox_order.sql, whose comment says
-- why.
CREATE INDEX search_outbox_order ON search_outbox (consumer, id);
