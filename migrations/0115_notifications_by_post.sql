-- Notifications found by their post: a like taken back takes its "liked your post" with it
-- (forum/like.go), a post deleted or hidden settles the unread notifications about it
-- (forum/moderation_thread.go), and deleting a post row cascades to its notifications. Each of
-- these scanned the whole table without it; the other indexes lead with the member.
CREATE INDEX notifications_post ON notifications (post_id);
