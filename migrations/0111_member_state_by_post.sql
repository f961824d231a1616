-- A thread page looks up, for the member reading it, their likes of the page's posts and their unread
-- notifications about them (forum/read_state.go, forum/post_range.go). Both indexes led with the
-- member alone, so each lookup was 50 descents of likes' primary key, or a heap fetch of every unread
-- notification the member has, to test the post: together about half of the thread page's statement
-- on the benchmark's seed. With the post second in both indexes, and the page's lowest and highest
-- post id as a range beside the list, each is one short index scan (forum.postsAmong says more).
--
-- likes_actor was (actor_id, created_at DESC), and nothing orders a member's likes by date: its only
-- users find an actor's likes (a removed account's, an Undo(Like)), which the new order serves as well.
-- The header's unread count (member_id alone, stopping at CountCap) still scans notifications_unread.
DROP INDEX notifications_unread;
CREATE INDEX notifications_unread ON notifications (member_id, post_id) WHERE read_at IS NULL;
DROP INDEX likes_actor;
CREATE INDEX likes_actor ON likes (actor_id, post_id);
