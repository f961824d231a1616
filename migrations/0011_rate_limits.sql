-- Counters for throttling sign-in, registration and password-reset mail, kept in PostgreSQL so a
-- restart (or a second instance) does not hand an attacker a fresh budget. Each row counts the hits
-- of one bucket ('login-ip:203.0.113.7', 'login-member:42', ...) in one fixed window; the check
-- weighs the previous window by how much of it still overlaps the sliding window (forum/rate_limit.go).
CREATE TABLE rate_limits (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- For pruning old windows.
CREATE INDEX rate_limits_window ON rate_limits (window_start);
