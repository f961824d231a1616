-- The `updated` time of the version of a remote post that is stored (forum.EditRemotePost). An
-- Update older than it is stale (deliveries reorder) and is ignored. It was compared with
-- edited_at, the time this server applied the last edit: an edit delivered a few minutes late made
-- every later edit made within those minutes look stale, and it was lost.
ALTER TABLE posts ADD COLUMN remote_updated_at timestamptz;
