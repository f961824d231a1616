-- The positions of a thread's posts that readers cannot read (deleted, or hidden by a moderator),
-- for the threads that have any (forum/read_state.go). A member's unread count is a span of
-- positions less what they read; removed posts were only added to the sets of members who had
-- opened the thread, so a member who never had counted them as new, and "jump to the first new"
-- could land on one. The count subtracts these too.
CREATE TABLE thread_removed_positions (
    thread_id bigint PRIMARY KEY REFERENCES threads ON DELETE CASCADE,
    positions int4multirange NOT NULL
);

INSERT INTO thread_removed_positions (thread_id, positions)
SELECT thread_id, range_agg(int4range(position, position + 1))
FROM posts
WHERE deleted_at IS NOT NULL OR hidden_at IS NOT NULL
GROUP BY thread_id;
