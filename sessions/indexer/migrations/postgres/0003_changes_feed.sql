-- The indexer reads the changes feed (../0003_changes_feed.sql, whose
-- comments say why). Registered here, so that the feed keeps what the
-- indexer has not read even before it first runs.
INSERT INTO changes_cursors (consumer, seq) SELECT 'search', COALESCE(MAX(seq), 0) FROM changes;
