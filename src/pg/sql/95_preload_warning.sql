
-- 95_preload_notice.sql: the GUCs exist, and routing and the shared views
-- work, only where the library is loaded at connection start.  Say so once,
-- at CREATE EXTENSION, when neither preload setting names it.  A WARNING:
-- PostgreSQL runs extension scripts with client_min_messages at least
-- WARNING, so a NOTICE here would never be seen.
DO $$
DECLARE
    pattern CONSTANT text := '(^|,)\s*"?(\$libdir/)?goalloc"?\s*(,|$)';
BEGIN
    IF pg_catalog.current_setting('shared_preload_libraries') !~ pattern AND
       pg_catalog.current_setting('session_preload_libraries') !~ pattern THEN
        RAISE WARNING 'goalloc is not in shared_preload_libraries or session_preload_libraries'
            USING HINT = 'Without it, settings such as goalloc.executor have no effect in a new '
                         'session until a goalloc function is called, and goalloc_backends stays '
                         'empty.  Add goalloc to shared_preload_libraries and restart.';
    END IF;
END
$$;
