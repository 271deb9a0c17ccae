-- An agenda item's number follows the agenda's order unless the office
-- fixed it by hand: ../0009_agenda_number_fixed.sql. Numbers in the
-- automatic form ("Ö 7", "N 2") follow the order, every other one stays.
ALTER TABLE agenda_items ADD COLUMN number_fixed INTEGER NOT NULL DEFAULT 0;

UPDATE agenda_items SET number_fixed = 1 WHERE number !~ '^(Ö|N) [1-9][0-9]*$';
