-- Nothing to do on PostgreSQL: ../0002_exclusion_follows_matter.sql
-- replaced triggers that the changes feed has replaced in turn (0003);
-- the feed's PostgreSQL triggers follow the matter from the start. The
-- file is here so that both databases record the same migrations.
SELECT 1;
