SET goalloc.route = executor;
-- The real SQL of sql/executor_body.inc with goalloc.route as set above.
-- executor_off, executor_on and executor_backend must have the same
-- expected output but for the first line (scripts/test.sh checks it).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS goalloc;
LOAD 'goalloc';
\ir sql/executor_body.inc
