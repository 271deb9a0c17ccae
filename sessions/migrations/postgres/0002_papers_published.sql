-- A paper can be published on its own, independent of any agenda (a
-- motion that is public once submitted). NULL: not published explicitly.
ALTER TABLE papers ADD COLUMN published_at TEXT COLLATE "C";

-- Papers of an agenda item, and the items of a paper, are looked up on
-- every agenda and paper page and by the visibility policy.
CREATE INDEX consultations_item ON consultations (agenda_item_id);
CREATE INDEX exclusions_person ON exclusions (person_id);
