-- The search outbox is no longer filled by triggers of its own: the
-- changes feed (package sessions/changes, scope "changes", applied
-- before this scope) records every change once for all its consumers.
-- The indexer moves the feed's document rows into search_outbox and
-- advances its cursor ('search') in one transaction; the outbox keeps
-- its meaning (documents to index, rows deleted only after the index
-- took them, due rows for publication times) and the rows pending when
-- this migration runs stay in it, so no index update is lost.
DROP TRIGGER search_documents_i;
DROP TRIGGER search_documents_u;
DROP TRIGGER search_versions_i;
DROP TRIGGER search_versions_u;
DROP TRIGGER search_attachments_i;
DROP TRIGGER search_attachments_u;
DROP TRIGGER search_attachments_d;
DROP TRIGGER search_minutes_i;
DROP TRIGGER search_minutes_u;
DROP TRIGGER search_minutes_d;
DROP TRIGGER search_meetings_u;
DROP TRIGGER search_meetings_d;
DROP TRIGGER search_agenda_items_i;
DROP TRIGGER search_agenda_items_u;
DROP TRIGGER search_agenda_items_d;
DROP TRIGGER search_exclusions_i;
DROP TRIGGER search_exclusions_d;
DROP TRIGGER search_papers_u;
DROP TRIGGER search_consultations_i;
DROP TRIGGER search_consultations_u;
DROP TRIGGER search_consultations_d;
DROP TRIGGER search_memberships_i;
DROP TRIGGER search_memberships_u;
DROP TRIGGER search_memberships_d;
DROP TRIGGER search_organizations_u;
DROP VIEW search_matter_meetings;
DROP VIEW search_meeting_documents;
DROP VIEW search_paper_documents;

-- The indexer has applied everything before this point: what it has not
-- is in the outbox. Registered here, so that the feed keeps what the
-- indexer has not read even before it first runs.
INSERT INTO changes_cursors (consumer, seq) SELECT 'search', COALESCE(MAX(seq), 0) FROM changes;
