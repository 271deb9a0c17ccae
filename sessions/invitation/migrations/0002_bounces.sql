-- Bounces reported after the mail server accepted an invitation: the
-- mail administrator hands the office the non-delivery report, and the
-- office records it (the member then belongs on the postal list). A
-- refusal at sending time (5xx) is in notify's attempt log and not copied
-- here. bounced_at is NULL until one is recorded; it is written once.
ALTER TABLE invitation_recipients ADD COLUMN bounced_at INTEGER;
ALTER TABLE invitation_recipients ADD COLUMN bounce_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE invitation_recipients ADD COLUMN bounced_by TEXT NOT NULL DEFAULT '';
