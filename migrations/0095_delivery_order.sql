-- A server that was down receives what it missed in the order it was sent. Before sending, a
-- delivery asks whether its inbox has an earlier activity's delivery still pending after a failed
-- attempt, or itself held back for that reason (held_back); if so it waits, and each delivery that
-- gets through wakes the next held one. Only such backlog rows are indexed, so the question costs
-- next to nothing while every inbox is healthy.
ALTER TABLE deliveries ADD COLUMN held_back boolean NOT NULL DEFAULT false;
CREATE INDEX deliveries_inbox_backlog ON deliveries (inbox, activity_id)
    WHERE state = 'pending' AND (attempts > 0 OR held_back);
