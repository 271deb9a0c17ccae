-- The public-response cache of package web (web/cache.go) is valid for one
-- value of publication_generation.n. Every change of a table that anything
-- public is built from bumps it, inside the transaction of the change, so
-- that the next anonymous request after a commit can never be answered
-- from a cache entry built before it — whichever process made the change
-- (the server, `ratsmappe doc`, an import). Time is the other dimension:
-- the cache also expires entries at the next publication time (embargo
-- end) it finds in meetings and papers.
--
-- A new table that public output is built from needs its three triggers
-- here too (in a new migration of the scope "web").

CREATE TABLE publication_generation (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
) STRICT;
INSERT INTO publication_generation (id, n) VALUES (1, 1);

CREATE TRIGGER publication_generation_bodies_insert AFTER INSERT ON bodies
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_bodies_update AFTER UPDATE ON bodies
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_bodies_delete AFTER DELETE ON bodies
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_legislative_terms_insert AFTER INSERT ON legislative_terms
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_legislative_terms_update AFTER UPDATE ON legislative_terms
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_legislative_terms_delete AFTER DELETE ON legislative_terms
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_organizations_insert AFTER INSERT ON organizations
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_organizations_update AFTER UPDATE ON organizations
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_organizations_delete AFTER DELETE ON organizations
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_persons_insert AFTER INSERT ON persons
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_persons_update AFTER UPDATE ON persons
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_persons_delete AFTER DELETE ON persons
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_memberships_insert AFTER INSERT ON memberships
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_memberships_update AFTER UPDATE ON memberships
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_memberships_delete AFTER DELETE ON memberships
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_meetings_insert AFTER INSERT ON meetings
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_meetings_update AFTER UPDATE ON meetings
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_meetings_delete AFTER DELETE ON meetings
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_agenda_items_insert AFTER INSERT ON agenda_items
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_agenda_items_update AFTER UPDATE ON agenda_items
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_agenda_items_delete AFTER DELETE ON agenda_items
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_papers_insert AFTER INSERT ON papers
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_papers_update AFTER UPDATE ON papers
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_papers_delete AFTER DELETE ON papers
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_consultations_insert AFTER INSERT ON consultations
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_consultations_update AFTER UPDATE ON consultations
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_consultations_delete AFTER DELETE ON consultations
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_attachments_insert AFTER INSERT ON attachments
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_attachments_update AFTER UPDATE ON attachments
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_attachments_delete AFTER DELETE ON attachments
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_minutes_insert AFTER INSERT ON minutes
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_minutes_update AFTER UPDATE ON minutes
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_minutes_delete AFTER DELETE ON minutes
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_exclusions_insert AFTER INSERT ON exclusions
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_exclusions_update AFTER UPDATE ON exclusions
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_exclusions_delete AFTER DELETE ON exclusions
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_documents_insert AFTER INSERT ON documents
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_documents_update AFTER UPDATE ON documents
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_documents_delete AFTER DELETE ON documents
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_versions_insert AFTER INSERT ON versions
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_versions_update AFTER UPDATE ON versions
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_versions_delete AFTER DELETE ON versions
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_pages_insert AFTER INSERT ON pages
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_pages_update AFTER UPDATE ON pages
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_generation_pages_delete AFTER DELETE ON pages
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;

-- OParl reads meeting.publish / meeting.unpublish entries to show
-- depublished meetings as deleted. Reads of non-public documents, sign-ins
-- and tokens (written on every member's request) change nothing public and
-- must not empty the cache during a publication burst.
CREATE TRIGGER publication_generation_audit_log_insert AFTER INSERT ON audit_log
WHEN NEW.action NOT LIKE '%.read%' AND NEW.action NOT LIKE 'account.%' AND NEW.action NOT LIKE 'token.%'
BEGIN
	UPDATE publication_generation SET n = n + 1 WHERE id = 1;
END;
