-- Several app servers, each with an index of its own (the embedded Bleve
-- index): each follows the changes feed with a cursor of its own
-- (Config.Consumer) and keeps its own rows in the outbox, so that one
-- server's drain does not take rows another server's index still needs.
-- Servers sharing one index (Meilisearch) share the consumer 'search',
-- whose rows are those of before. search_servers says when a server's
-- indexer last ran: a server gone for a day loses its cursor and rows,
-- so that it does not hold the feed's compaction for ever (it rebuilds
-- its index when it returns).
ALTER TABLE search_outbox ADD COLUMN consumer TEXT NOT NULL DEFAULT 'search';
CREATE INDEX search_outbox_consumer ON search_outbox (consumer, due);

CREATE TABLE search_servers (
	consumer TEXT PRIMARY KEY,
	seen_at  INTEGER NOT NULL -- Unix milliseconds
) STRICT;
