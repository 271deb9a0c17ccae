-- Every read of a document asks which minutes name it (DocumentAccess,
-- the refused-like-missing candidate check); without an index that was a
-- scan of the minutes table per request.
CREATE INDEX minutes_document ON minutes (document_id);
