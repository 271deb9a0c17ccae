-- The links a citizen could see a document by, newest document first: a
-- public attachment not withdrawn, published public minutes. A viewer
-- without seats' news (NewestDocumentCandidates) walk these instead of
-- every document and each of its links: the newest documents, those of
-- the coming meetings that nobody but members may see yet, then cost an
-- index entry and the check of its paper, item or meeting each, and
-- non-public links nothing. The columns are all the walk's conditions
-- read of the rows, so that neither database fetches them.
CREATE INDEX IF NOT EXISTS attachments_public_document ON attachments (document_id, agenda_item_id, paper_id, meeting_id, public, withdrawn_at)
	WHERE public = 1 AND withdrawn_at IS NULL;
CREATE INDEX IF NOT EXISTS minutes_public_document ON minutes (document_id, meeting_id, state, public)
	WHERE state = 'published' AND public = 1;
