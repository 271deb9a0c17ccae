-- PostgreSQL only: the row estimate of its json_each(text) function (see
-- postgres/0013_id_list_estimate.sql). SQLite's json_each is built in and
-- plans lists of ids through the indexes already.
SELECT 1;
