-- A locked thread's page gives the reason its lock was given with (forum.LockReason): the newest
-- lock entry of the thread in the moderation log, found through this index rather than by reading
-- the whole log.
CREATE INDEX moderation_log_thread ON moderation_log (thread_id, id DESC) WHERE thread_id IS NOT NULL;
