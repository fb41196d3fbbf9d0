# ngx_http_mlpredict_module: `make run` serves the example models on
# 127.0.0.1:8080, `make test` runs every test. Both install what is missing.

SHELL      := /bin/bash
NGINX_SRC  ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
PYTHON     := /usr/bin/python3
BUILD      := build
CC         ?= cc
CFLAGS     ?= -O2 -g -ffp-contract=off
CORE_CFLAGS = -std=c99 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
              -Werror -I$(MOD)/core $(CFLAGS)
LIBS       := -ljansson -lopenblas -lm $(if $(filter x86_64,$(shell uname -m)),-lmvec)

# Debian packages: `make run` installs what serving needs, `make` also what
# the command-line tool links (ONNX reading, training), any other goal
# (tests, fuzzers, benchmark) what the tests need too
SERVE_PACKAGES := nginx nginx-dev libjansson-dev libopenblas-dev gcc make
CLI_PACKAGES   := $(SERVE_PACKAGES) protobuf-c-compiler libprotobuf-c-dev \
                  libonnx-dev liblinear-dev liblbfgs-dev libsvm-dev
TEST_PACKAGES  := $(CLI_PACKAGES) perl python3-sklearn python3-xgboost \
                  python3-torch python3-onnx \
                  python3-numpy python3-pandas python3-statsmodels curl wrk \
                  clang libclang-rt-14-dev python3-flask gunicorn util-linux \
                  libsvm-tools valgrind prometheus iproute2 linux-perf
GOALS      := $(or $(MAKECMDGOALS),all)
PACKAGES   := $(if $(filter-out run module all deps,$(GOALS)),$(TEST_PACKAGES),\
                  $(if $(filter all deps,$(GOALS)),$(CLI_PACKAGES),\
                       $(SERVE_PACKAGES)))

MOD        := ngx_http_mlpredict_module
# the ONNX reader (CLI and its fuzzer only) needs the C that protoc-c makes
# of libonnx-dev's onnx.proto, generated here into build/
ONNX_SRC   := $(MOD)/core/convert/mlp_onnx.c
# training (`mlpredict train`: LAPACK, liblbfgs, LIBLINEAR, libsvm) is the
# CLI's alone: neither the server nor the tests of the core link it
TRAIN_SRCS := $(wildcard $(MOD)/core/train/*.c)
TRAIN_LIBS := -llinear -llbfgs -lsvm -lpthread
CORE_SRCS  := $(filter-out $(ONNX_SRC) $(TRAIN_SRCS),\
                  $(wildcard $(MOD)/core/*.c $(MOD)/core/*/*.c))
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
ONNX_GEN   := $(BUILD)/onnx/onnx.pb-c.c
ONNX_SRCS  := $(ONNX_SRC) $(ONNX_GEN)
ONNX_FLAGS  = -I$(BUILD)/onnx
CORE_HDRS  := $(wildcard $(MOD)/core/*.h $(MOD)/core/*/*.h)
SO         := $(BUILD)/$(MOD).so

.PHONY: all deps module run test unit train-cart parity nginx-test reload \
        metrics train valgrind asan-test fuzz soak soak-short reload50 \
        faults cluster-test fuzz-long models clean bench bench-smoke \
        bench-train

all: module $(BUILD)/mlpredict

# Idempotent and quiet: one dpkg query, apt-get only for what is missing.
deps:
	@missing=$$(dpkg-query -W -f='$${Package} $${Status}\n' $(PACKAGES) \
	    2>/dev/null | awk '$$NF == "installed" {print $$1}' \
	    | sort | comm -13 - <(tr ' ' '\n' <<< "$(PACKAGES)" | sort)); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "run as root, or: apt-get install" $$missing; exit 1; \
	    fi; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi

# nginx is configured once (the distro's own flags, so the module loads
# into the distro binary; -O2 as Debian builds nginx itself, instead of the
# configure default -O), then only the module is rebuilt.
$(BUILD)/nginx-src/objs/Makefile: config Makefile | deps
	rm -rf $(BUILD)/nginx-src
	mkdir -p $(BUILD)
	cp -r $(NGINX_SRC) $(BUILD)/nginx-src
	cd $(BUILD)/nginx-src && { \
	    flags=(--with-compat); \
	    if [ -f conf_flags ]; then source ./conf_flags; \
	        flags=("$${NGX_CONF_FLAGS[@]}"); fi; \
	    ./configure "$${flags[@]}" --with-cc-opt="-O2 -ffp-contract=off" \
	        --add-dynamic-module=$(CURDIR) \
	        > ../configure.log 2>&1 || { tail -20 ../configure.log; exit 1; }; }

$(SO): $(BUILD)/nginx-src/objs/Makefile $(wildcard $(MOD)/*.c) \
       $(wildcard $(MOD)/*.h) $(CORE_SRCS) $(CORE_HDRS)
	$(MAKE) -s -C $(BUILD)/nginx-src -f objs/Makefile modules >/dev/null
	install -m 755 $(BUILD)/nginx-src/objs/$(MOD).so $@

module: deps $(SO)

CLI_SRCS   := $(wildcard $(MOD)/cli/*.c)

$(ONNX_GEN): | deps
	@mkdir -p $(BUILD)/onnx
	protoc-c --c_out=$(BUILD)/onnx -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

# generated code: compiled on its own, without the project's -Werror
$(BUILD)/onnx/onnx.pb-c.o: $(ONNX_GEN)
	$(CC) -O2 -g -c -o $@ $< $(ONNX_FLAGS)

$(BUILD)/mlpredict: $(CLI_SRCS) $(wildcard $(MOD)/cli/*.h) $(CORE_SRCS) \
                    $(CORE_HDRS) $(ONNX_SRC) $(TRAIN_SRCS) \
                    $(BUILD)/onnx/onnx.pb-c.o | deps
	@mkdir -p $(BUILD)
	$(CC) $(CORE_CFLAGS) $(ONNX_FLAGS) -o $@ $(CLI_SRCS) \
	    $(CORE_SRCS) $(ONNX_SRC) $(TRAIN_SRCS) $(BUILD)/onnx/onnx.pb-c.o \
	    $(LIBS) -lprotobuf-c $(TRAIN_LIBS)

$(BUILD)/test_%: $(MOD)/test/test_%.c $(MOD)/test/test_check.h $(CORE_SRCS) \
              $(CORE_HDRS) | deps
	@mkdir -p $(BUILD)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(LIBS)

# the CART trainer's unit test, and the trainer end to end (t/train_cart.py,
# bench/bench_train.py)
$(BUILD)/test_cart: $(MOD)/test/test_cart.c $(MOD)/test/test_check.h \
                    $(CORE_SRCS) $(CORE_HDRS) $(MOD)/core/train/mlp_cart.c \
                    | deps
	@mkdir -p $(BUILD)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(MOD)/core/train/mlp_cart.c \
	    $(LIBS)

# liblbfgs's codes in words (its header only: nothing of it is called)
$(BUILD)/test_lbfgs: $(MOD)/test/test_lbfgs.c $(MOD)/test/test_check.h \
                     $(CORE_SRCS) $(CORE_HDRS) $(MOD)/core/train/mlp_lbfgs.c \
                     | deps
	@mkdir -p $(BUILD)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) \
	    $(MOD)/core/train/mlp_lbfgs.c $(LIBS)

$(BUILD)/cart_driver: $(MOD)/test/cart_driver.c $(CORE_SRCS) $(CORE_HDRS) \
                      $(MOD)/core/train/mlp_cart.c | deps
	@mkdir -p $(BUILD)
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(MOD)/core/train/mlp_cart.c \
	    $(LIBS)

# libFuzzer with ASan and UBSan: `make fuzz` runs each target FUZZ_SECONDS
# (bounded, for CI) on bodies up to FUZZ_MAX_LEN; `make fuzz-long` runs each
# 600 s by default on bodies up to 64 KiB and prints what it covered.
FUZZ_SECONDS ?= 5
FUZZ_MAX_LEN ?= 4096
FUZZ_CFLAGS = -std=c99 -D_GNU_SOURCE -g -O1 -ffp-contract=off -I$(MOD)/core \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz_%: $(MOD)/test/fuzz_%.c $(MOD)/test/fuzz_common.h $(CORE_SRCS) \
              $(CORE_HDRS) | deps
	@mkdir -p $(BUILD)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS) $(LIBS)

$(BUILD)/fuzz_onnx: $(MOD)/test/fuzz_onnx.c $(CORE_SRCS) $(CORE_HDRS) \
                    $(ONNX_SRC) $(ONNX_GEN) | deps
	@mkdir -p $(BUILD)
	clang $(FUZZ_CFLAGS) $(ONNX_FLAGS) -o $@ $< $(CORE_SRCS) $(ONNX_SRC) \
	    $(ONNX_GEN) $(LIBS) -lprotobuf-c

# the training table and its preparation (core/train/, no solver)
FUZZ_TABLE_SRCS := $(MOD)/core/train/mlp_table.c $(MOD)/core/train/mlp_prep.c

$(BUILD)/fuzz_table: $(MOD)/test/fuzz_table.c $(CORE_SRCS) $(CORE_HDRS) \
                     $(FUZZ_TABLE_SRCS) | deps
	@mkdir -p $(BUILD)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS) $(FUZZ_TABLE_SRCS) $(LIBS)

# run:target:seed corpora (comma-separated):model (the request fuzzers on a
# model with string categories too)
FUZZ_RUNS := request:request:$(MOD)/test/corpus/request:models/iris.mlp \
             request_churn:request:$(MOD)/test/corpus/churn:models/churn.mlp \
             request_forest:request:$(MOD)/test/corpus/request:models/iris_forest.mlp \
             model:model:models,$(MOD)/test/corpus/model:- \
             scan:scan:$(MOD)/test/corpus/request:models/iris.mlp \
             scan_churn:scan:$(MOD)/test/corpus/churn:models/churn.mlp \
             csv:csv:$(MOD)/test/corpus/csv:- \
             libsvm:libsvm:$(MOD)/test/corpus/libsvm:- \
             values:values:$(MOD)/test/corpus/values:models/bot.mlp \
             values_churn:values:$(MOD)/test/corpus/values:models/churn_hgb.mlp \
             v2:v2:$(MOD)/test/corpus/v2:models/iris.mlp \
             v2_churn:v2:$(MOD)/test/corpus/v2:models/churn.mlp \
             onnx:onnx:$(MOD)/test/corpus/onnx:- \
             table:table:$(MOD)/test/corpus/table:-

fuzz: $(BUILD)/fuzz_request $(BUILD)/fuzz_model $(BUILD)/fuzz_scan \
      $(BUILD)/fuzz_csv $(BUILD)/fuzz_libsvm $(BUILD)/fuzz_values \
      $(BUILD)/fuzz_v2 $(BUILD)/fuzz_onnx $(BUILD)/fuzz_table
	@for r in $(FUZZ_RUNS); do \
	    IFS=: read -r run target seeds model <<< "$$r"; \
	    log=$(BUILD)/fuzz_$$run.log; mkdir -p $(BUILD)/corpus/$$run; \
	    echo "fuzz_$$target ($$run): $(FUZZ_SECONDS) s, inputs up to" \
	         "$(FUZZ_MAX_LEN) bytes"; \
	    MLP_FUZZ_MODEL=$$model $(BUILD)/fuzz_$$target \
	        -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
	        -print_final_stats=1 -artifact_prefix=$(BUILD)/$$run- \
	        $(BUILD)/corpus/$$run $${seeds//,/ } > $$log 2>&1 \
	        || { tail -40 $$log; exit 1; }; \
	    grep -E '^Done|stat::number_of_executed_units|DONE' $$log; \
	done

FUZZ_LONG_SECONDS := $(if $(filter command line environment,\
                        $(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),600)

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) FUZZ_MAX_LEN=65536

models: deps
	$(PYTHON) models/make_examples.py models

run: module
	@mkdir -p $(BUILD)/run
	@echo "serving on http://127.0.0.1:8080 (Ctrl-C stops)"
	$(NGINX) -p $(CURDIR)/ -c conf/nginx.conf

unit: $(BUILD)/test_core $(BUILD)/test_alloc $(BUILD)/test_values $(BUILD)/test_csv \
      $(BUILD)/test_cart $(BUILD)/test_lbfgs
	$(BUILD)/test_core models
	$(BUILD)/test_alloc models $(MOD)/test/corpus/request
	$(BUILD)/test_values models
	$(BUILD)/test_csv
	$(BUILD)/test_cart
	$(BUILD)/test_lbfgs

# The CART trainer against scikit-learn (trees, files, forests), in seconds.
train-cart: $(BUILD)/cart_driver $(BUILD)/mlpredict
	$(PYTHON) t/train_cart.py --driver $(BUILD)/cart_driver \
	    --cli $(BUILD)/mlpredict

parity: module $(BUILD)/mlpredict
	$(PYTHON) t/eval.py --cli $(BUILD)/mlpredict
	$(PYTHON) t/parity.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO)
	$(PYTHON) t/parity_xgboost.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port 1991
	$(PYTHON) t/parity_pipelines.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port 1992
	$(PYTHON) t/parity_svm.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port 1993
	$(PYTHON) t/explain.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port 1994
	$(PYTHON) t/protocols.py --nginx $(NGINX) --module $(CURDIR)/$(SO) \
	    --port 1996
	$(PYTHON) t/parity_mlp.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port 1995
	$(PYTHON) t/parity_onnx.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port 1997

# The real Test::Nginx when installed, else the compatible runner in t/compat.
nginx-test: module
	@inc=; perl -MTest::Nginx::Socket -e1 2>/dev/null || inc="-I t/compat"; \
	TEST_NGINX_BINARY=$(NGINX) TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(SO) \
	TEST_NGINX_MODELS=$(CURDIR)/models prove $$inc t/

# The module built with AddressSanitizer and UndefinedBehaviorSanitizer
# (the distro tree has nginx's headers, not its sources: the module is
# instrumented, and the sanitizer runtimes are preloaded into the distro
# binary by a wrapper), then the Test::Nginx suite and t/asan_corpus.py's
# bad requests of every kind through it: any report fails.
ASAN_DIR   := $(BUILD)/asan
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -ffp-contract=off \
              -fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_SO    := $(ASAN_DIR)/$(MOD).so

$(ASAN_DIR)/nginx-src/objs/Makefile: config Makefile | deps
	rm -rf $(ASAN_DIR)/nginx-src
	mkdir -p $(ASAN_DIR)
	cp -r $(NGINX_SRC) $(ASAN_DIR)/nginx-src
	cd $(ASAN_DIR)/nginx-src && { \
	    flags=(--with-compat); \
	    if [ -f conf_flags ]; then source ./conf_flags; \
	        flags=("$${NGX_CONF_FLAGS[@]}"); fi; \
	    ./configure "$${flags[@]}" --with-cc-opt="$(ASAN_FLAGS)" \
	        --with-ld-opt="-fsanitize=address,undefined" \
	        --add-dynamic-module=$(CURDIR) \
	        > ../configure.log 2>&1 || { tail -20 ../configure.log; exit 1; }; }

$(ASAN_SO): $(ASAN_DIR)/nginx-src/objs/Makefile $(wildcard $(MOD)/*.c) \
            $(wildcard $(MOD)/*.h) $(CORE_SRCS) $(CORE_HDRS)
	$(MAKE) -s -C $(ASAN_DIR)/nginx-src -f objs/Makefile modules >/dev/null
	install -m 755 $(ASAN_DIR)/nginx-src/objs/$(MOD).so $@

asan-test: $(ASAN_SO) $(BUILD)/mlpredict
	rm -rf $(ASAN_DIR)/reports && mkdir -p $(ASAN_DIR)/reports
	printf '%s\n' '#!/bin/sh' \
	    'LD_PRELOAD="$(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)" \' \
	    'ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$(CURDIR)/$(ASAN_DIR)/reports/asan \' \
	    'UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(CURDIR)/$(ASAN_DIR)/reports/ubsan \' \
	    'exec $(NGINX) "$$@"' > $(ASAN_DIR)/nginx
	chmod +x $(ASAN_DIR)/nginx
	@inc=; perl -MTest::Nginx::Socket -e1 2>/dev/null || inc="-I t/compat"; \
	TEST_NGINX_BINARY=$(CURDIR)/$(ASAN_DIR)/nginx TEST_NGINX_TIMEOUT=10 \
	TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(ASAN_SO) \
	TEST_NGINX_MODELS=$(CURDIR)/models prove $$inc t/
	$(PYTHON) t/asan_corpus.py --nginx $(CURDIR)/$(ASAN_DIR)/nginx \
	    --module $(CURDIR)/$(ASAN_SO) --corpus $(BUILD)/corpus
	@if ls $(ASAN_DIR)/reports/* >/dev/null 2>&1; then \
	    head -60 $(ASAN_DIR)/reports/*; echo "sanitizer reports above"; \
	    exit 1; fi; echo "asan-test: no sanitizer report"

# The Test::Nginx suite with nginx under valgrind memcheck (master_process
# off, as Test::Nginx's valgrind mode runs it), then t/valgrind.py's verdict
# on the reports: no memcheck error, no definite leak through our code.
# The compatible runner always: it writes a report a process for the check.
valgrind: module
	rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	TEST_NGINX_USE_VALGRIND=1 TEST_NGINX_VALGRIND_LOG_DIR=$(CURDIR)/$(BUILD)/valgrind \
	TEST_NGINX_TIMEOUT=30 TEST_NGINX_MASTER_PROCESS=off \
	TEST_NGINX_BINARY=$(NGINX) TEST_NGINX_LOAD_MODULES=$(CURDIR)/$(SO) \
	TEST_NGINX_MODELS=$(CURDIR)/models prove -I t/compat t/
	$(PYTHON) t/valgrind.py $(BUILD)/valgrind

reload: module $(BUILD)/mlpredict
	$(PYTHON) t/reload.py --nginx $(NGINX) --module $(CURDIR)/$(SO) \
	    --cli $(BUILD)/mlpredict

# The Prometheus metrics, checked by Debian's promtool and a real Prometheus.
metrics: module
	$(PYTHON) t/metrics.py --nginx $(NGINX) --module $(CURDIR)/$(SO)

# mlpredict train against scikit-learn on the same rows, then served
TRAIN_PORT ?= 1998

train: module $(BUILD)/mlpredict
	$(PYTHON) t/train.py --cli $(BUILD)/mlpredict --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --port $(TRAIN_PORT)

# Endurance (README: Endurance): `make soak` is SOAK_SECONDS of mixed load
# on 4 workers (600 by default), `make test` runs 60 s of it; 50 reloads
# under load beside nginx's own `return 200`; faults (clients gone mid-body
# and mid-answer, slow bodies, a full disk, worker_connections exhausted);
# three backend hosts in network namespaces behind a front nginx (skipped,
# saying so, where namespaces cannot be made).
SOAK_SECONDS ?= 600

soak: module $(BUILD)/mlpredict
	$(PYTHON) t/soak.py --nginx $(NGINX) --module $(CURDIR)/$(SO) \
	    --cli $(BUILD)/mlpredict --seconds $(SOAK_SECONDS)

soak-short:
	$(MAKE) soak SOAK_SECONDS=60

reload50: module $(BUILD)/mlpredict
	$(PYTHON) t/reload50.py --nginx $(NGINX) --module $(CURDIR)/$(SO) \
	    --cli $(BUILD)/mlpredict

faults: module
	$(PYTHON) t/faults.py --nginx $(NGINX) --module $(CURDIR)/$(SO)

cluster-test: module $(BUILD)/mlpredict
	$(PYTHON) t/cluster.py --nginx $(NGINX) --module $(CURDIR)/$(SO) \
	    --cli $(BUILD)/mlpredict

test: unit train-cart fuzz bench-smoke parity nginx-test reload metrics train \
      soak-short reload50 faults cluster-test

# The benchmark (bench/README.md): HTTP side by side with nginx `return 200`
# and gunicorn + Flask + scikit-learn, the core without HTTP, memory with a
# large model. Results in bench/results/; bench-smoke runs it all in seconds
# and writes only under build/bench/.
BENCH_SECONDS ?= 10
# seconds of perf on the worker after each nginx case (0: none)
BENCH_PERF    ?= 3

$(BUILD)/bench_core: bench/bench_core.c $(CORE_SRCS) $(CORE_HDRS) | deps
	@mkdir -p $(BUILD)
	$(CC) $(CORE_CFLAGS) -o $@ bench/bench_core.c $(CORE_SRCS) $(LIBS)

bench: module $(BUILD)/mlpredict $(BUILD)/bench_core
	$(PYTHON) bench/run.py --seconds $(BENCH_SECONDS) --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --cli $(BUILD)/mlpredict \
	    --core $(BUILD)/bench_core --perf $(BENCH_PERF)
	$(PYTHON) bench/bench_csv.py --cli $(BUILD)/mlpredict

# Training time beside scikit-learn (bench/README.md): on its own, minutes.
bench-train: $(BUILD)/cart_driver $(BUILD)/mlpredict
	$(PYTHON) bench/bench_train.py --driver $(BUILD)/cart_driver \
	    --cli $(BUILD)/mlpredict

bench-smoke: module $(BUILD)/mlpredict $(BUILD)/bench_core
	$(PYTHON) bench/run.py --smoke --seconds 1 --nginx $(NGINX) \
	    --module $(CURDIR)/$(SO) --cli $(BUILD)/mlpredict \
	    --core $(BUILD)/bench_core --perf 1
	$(PYTHON) bench/bench_csv.py --cli $(BUILD)/mlpredict --smoke

clean:
	rm -rf $(BUILD) t/servroot
