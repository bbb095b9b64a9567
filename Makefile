# Makefile for the goalloc extension (PGXS).
#
#	make				build goalloc.so, the 0.1.0 compatibility library
#						and the install script
#	make install		install the product: the libraries, the install and
#						upgrade scripts, the control files and the public
#						header (include/server/extension/goalloc/goalloc.h)
#	make installcheck	pg_regress tests (test/sql) against a running server;
#						needs the test modules installed (make test-modules)
#	make pgtap			pgTAP tests (test/pgtap) through pg_prove
#	make test-modules	build and install test/modules (goalloc_regress,
#						goalloc_test_ext): tests only, never by make install
#	make core-check, core-sanitize, fuzz, fuzz-short	test/core targets
#	make bench			install, then run every benchmark (bench/)
#	make bench-system	real queries and pgbench with goalloc.route off,
#						executor and backend (bench/system; QUICK=1,
#						SCALE, ROUNDS)
#	make werror-check	rebuild and fail on any compiler warning
#
# The product is goalloc.so: the allocator core (src/core) and the
# PostgreSQL layer (src/pg).  Test and benchmark code lives beside it in
# test/modules and bench/extension, extensions of their own.

EXTENSION = goalloc
EXTVERSION = $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" goalloc.control)

MODULE_big = goalloc
OBJS = \
	src/core/sizeclass.o \
	src/core/span.o \
	src/core/pagealloc.o \
	src/core/mheap.o \
	src/core/scavenge.o \
	src/core/owner.o \
	src/core/nursery.o \
	src/core/alloc.o \
	src/core/free.o \
	src/core/stats.o \
	src/pg/goalloc.o \
	src/pg/goalloc_context.o \
	src/pg/goalloc_views.o \
	src/pg/goalloc_shmem.o \
	src/pg/goalloc_budget.o \
	src/pg/goalloc_adopt.o \
	src/pg/goalloc_executor.o \
	src/pg/goalloc_route.o
HEADERS = src/pg/goalloc.h
PGFILEDESC = "goalloc - memory contexts served by a Go-style allocator"

# Install scripts: the current version is built from the fragments in
# src/pg/sql, in name order; older versions and upgrade scripts are files.
SQL_FRAGMENTS = $(sort $(wildcard src/pg/sql/*.sql))
DATA_built = sql/goalloc--$(EXTVERSION).sql
DATA = sql/goalloc--0.1.0.sql sql/goalloc--0.1.0--0.2.0.sql goalloc--0.1.0.control

# Regression tests, pgvector's layout: test/sql and test/expected.
REGRESS = $(sort $(notdir $(basename $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test

PG_CPPFLAGS = -I$(srcdir)/src/core -I$(srcdir)/src/pg

EXTRA_CLEAN = build.log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/goalloc--$(EXTVERSION).sql: $(SQL_FRAGMENTS) goalloc.control
	cat $(SQL_FRAGMENTS) > $@

# Every object depends on the shared headers.
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

# goalloc 0.1.0's entry points that 0.2.0 moved out (src/compat).
all: compat
install: install-compat
clean: clean-compat

.PHONY: compat install-compat clean-compat core-check core-sanitize fuzz \
	fuzz-short bench bench-system test-modules pgtap werror-check

compat: $(shlib)
	$(MAKE) -C src/compat PG_CONFIG=$(PG_CONFIG)
install-compat:
	$(MAKE) -C src/compat install PG_CONFIG=$(PG_CONFIG)
clean-compat:
	$(MAKE) -C src/compat clean PG_CONFIG=$(PG_CONFIG)

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

TEST_MODULES = $(patsubst %/Makefile,%,$(sort $(wildcard test/modules/*/Makefile)))
test-modules:
	for m in $(TEST_MODULES); do \
		$(MAKE) -C $$m PG_CONFIG=$(PG_CONFIG) install || exit 1; \
	done

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
