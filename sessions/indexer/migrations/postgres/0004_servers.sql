-- Several app servers, each with an index of its own: the PostgreSQL
-- spelling of ../0004_servers.sql, whose comments say why.
ALTER TABLE search_outbox ADD COLUMN consumer TEXT NOT NULL DEFAULT 'search';
CREATE INDEX search_outbox_consumer ON search_outbox (consumer, due);

CREATE TABLE search_servers (
	consumer TEXT PRIMARY KEY,
	seen_at  BIGINT NOT NULL
);
