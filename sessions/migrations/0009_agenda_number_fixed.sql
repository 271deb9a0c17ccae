-- An agenda item's number follows the agenda's order (Ö 1, Ö 2, … then
-- N 1, …) unless the office fixed it by hand ("Ö 3.1", "12 a", a number
-- taken over from another system). Numbers typed before this existed were
-- all typed by hand; those in the automatic form ("Ö 7", "N 2") follow the
-- order from now on, every other one stays as it is.
ALTER TABLE agenda_items ADD COLUMN number_fixed INTEGER NOT NULL DEFAULT 0;

UPDATE agenda_items SET number_fixed = 1
 WHERE NOT ((number GLOB 'Ö [1-9]*' OR number GLOB 'N [1-9]*')
            AND substr(number, 3) NOT GLOB '*[^0-9]*');
