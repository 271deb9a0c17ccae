-- A batch takes the documents of the oldest due rows, walking the rows
-- in id order (indexer.pickQuery). Through search_outbox_consumer
-- (consumer, due) SQLite read and sorted every due row of the outbox for
-- each batch: a rebuild at ten years (780,000 rows, 640 batches) spent
-- most of its time there. This index gives the rows in id order.
CREATE INDEX search_outbox_order ON search_outbox (consumer, id);
