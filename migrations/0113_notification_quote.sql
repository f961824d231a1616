-- A member whose post is quoted is told so ("quoted you"), where before the quote's reply to their
-- post told them "replied to you" and a quote of a post the reply did not answer told them nothing
-- (forum/notification_deliver.go). The new set of kinds contains the old one, so the constraint is
-- added NOT VALID and validated after: the validation reads the table without blocking writes.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('reply', 'quote', 'mention', 'like', 'watching', 'new_thread')) NOT VALID;
ALTER TABLE notifications VALIDATE CONSTRAINT notifications_kind_check;
