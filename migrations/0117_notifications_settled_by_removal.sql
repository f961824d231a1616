-- A notification a removal settled (forum/moderation_thread.go, settleRemovedPost and
-- settleThreadNotifications): it was unread when its post or its thread was hidden or deleted, and
-- was marked read because its member could no longer open it. Showing the post or the thread again
-- makes these unread again, and only these: a notification its member read stays read.
ALTER TABLE notifications ADD COLUMN settled_by_removal boolean NOT NULL DEFAULT false;
