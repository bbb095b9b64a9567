# Makefile for the goalloc extension (PGXS).
#
#	make				build goalloc.so and the install script
#	make install		install the library, script, control file and the
#						public header (include/server/extension/goalloc/)
#	make installcheck	pg_regress tests (sql/*.sql) against a running server
#	make pgtap			pgTAP tests (test/pgtap/*.sql) through pg_prove
#	make test-ext		build and install the test extension (test/ext)
#	make core-check, core-sanitize, fuzz, fuzz-short	test/core targets
#	make bench			bench/ run
#	make bench-system	system benchmark: real queries, pgbench, route off/executor/backend
#					(bench/system/run.sh; QUICK=1, SCALE, ROUNDS knobs)
#	make werror-check	rebuild and fail on any compiler warning
#
# Sources, install-script fragments and regression tests are picked up by
# wildcard: adding a file needs no edit here.

EXTENSION = goalloc
EXTVERSION = $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" goalloc.control)

MODULE_big = goalloc
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/core/*.c src/pg/*.c)))
HEADERS = src/pg/goalloc.h
PGFILEDESC = "goalloc - memory contexts served by a Go-style allocator"

SQL_FRAGMENTS = $(sort $(wildcard src/pg/sql/*.sql))
DATA_built = sql/goalloc--$(EXTVERSION).sql

REGRESS = $(sort $(filter-out goalloc--%,$(notdir $(basename $(wildcard sql/*.sql)))))

PG_CPPFLAGS = -I$(srcdir)/src/core -I$(srcdir)/src/pg

EXTRA_CLEAN = build.log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The install script is the fragments in name order.
sql/goalloc--$(EXTVERSION).sql: $(SQL_FRAGMENTS) goalloc.control
	@mkdir -p sql
	cat $(SQL_FRAGMENTS) > $@

# Every object depends on the shared headers.
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

.PHONY: core-check core-sanitize fuzz fuzz-short bench bench-system test-ext pgtap werror-check

# test/core names them check and sanitize.
core-check:
	$(MAKE) -C test/core check

core-sanitize:
	$(MAKE) -C test/core sanitize

fuzz fuzz-short:
	$(MAKE) -C test/core $@

bench: install
	$(MAKE) -C bench results

bench-system: install
	PG_CONFIG=$(PG_CONFIG) bench/system/run.sh

test-ext:
	$(MAKE) -C test/ext PG_CONFIG=$(PG_CONFIG)
	$(MAKE) -C test/ext install PG_CONFIG=$(PG_CONFIG)

# pgTAP suite against the server given by the PG* environment variables.
PG_PROVE ?= pg_prove
PGTAP_TESTS = $(sort $(wildcard test/pgtap/*.sql))
pgtap:
	psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap' -c 'CREATE EXTENSION IF NOT EXISTS goalloc'
	$(PG_PROVE) --ext .sql $(PGTAP_TESTS)

# A clean build must print no warning at all.
werror-check:
	$(MAKE) clean
	$(MAKE) > build.log 2>&1 || { cat build.log; exit 1; }
	@cat build.log
	@if grep -q 'warning:' build.log; then echo 'werror-check: compiler warnings found'; exit 1; fi
	@echo 'werror-check: no warnings'
