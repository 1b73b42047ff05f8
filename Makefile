# yubin build.
#
# Layout convention (no per-program rules needed):
#   lib/*.c                      -> $(B)/libyubin.a   (except *_test.c, *_fuzz.c)
#   DIR/yubin*.c                 -> $(B)/yubin*       (a program's main)
#   DIR/other.c                  -> $(B)/DIR.a        (the component's own code)
#   DIR/x_test.c                 -> $(B)/test/DIR_x_test   (C unit test)
#   DIR/x_fuzz.c                 -> $(B)/fuzz/DIR_x_fuzz   (libFuzzer target, FUZZ=1)
# A component may add rules in DIR/rules.mk.
#
# make            optimised, hardened build in build/
# make check      installs missing packages, builds with ASan/UBSan in build/san,
#                 builds the fuzzers in build/fuzz, runs every test
# make demo       a running instance in ./demo
# make bench      benchmarks (never part of check)
# make install    PREFIX=/usr/local ROOT=/var/yubin

PREFIX ?= /usr/local
ROOT ?= /var/yubin
SAN ?=
FUZZ ?=

ifeq ($(FUZZ),1)
  B ?= build/fuzz
  CC = clang
  OPT = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DYUBIN_FUZZ
  LDOPT = -fsanitize=address,undefined
else ifeq ($(SAN),1)
  B ?= build/san
  OPT = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DYUBIN_SAN
  LDOPT = -fsanitize=address,undefined
else
  B ?= build
  OPT = -O2 -D_FORTIFY_SOURCE=2
  LDOPT =
endif

CC ?= cc
CFLAGS = -std=c17 $(OPT) -Wall -Wextra -Werror -D_GNU_SOURCE -fstack-protector-strong -fPIE \
         -Ilib -MMD -MP -DYUBIN_DEFAULT_ROOT='"$(ROOT)"'
LDFLAGS = $(LDOPT) -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LIBS = -lsodium -lcdb -lbearssl -lcares

PYTHON = /usr/bin/python3

COMPONENTS := $(filter-out lib tests doc conf-templates build demo,$(patsubst %/,%,$(sort $(dir $(wildcard */*.c)))))

LIB_SRC  := $(filter-out %_test.c %_fuzz.c,$(wildcard lib/*.c))
MAIN_SRC := $(foreach d,$(COMPONENTS),$(wildcard $(d)/yubin*.c))
TEST_SRC := $(wildcard lib/*_test.c $(foreach d,$(COMPONENTS),$(d)/*_test.c))
FUZZ_SRC := $(wildcard lib/*_fuzz.c $(foreach d,$(COMPONENTS),$(d)/*_fuzz.c))

comp_src = $(filter-out $(d)/yubin%.c %_test.c %_fuzz.c,$(wildcard $(d)/*.c))
obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGS := $(foreach f,$(MAIN_SRC),$(B)/$(basename $(notdir $(f))))
TESTS := $(foreach f,$(TEST_SRC),$(B)/test/$(subst /,_,$(basename $(f))))
FUZZERS := $(foreach f,$(FUZZ_SRC),$(B)/fuzz/$(subst /,_,$(basename $(f))))

.PHONY: all tests fuzzers check demo bench fuzz install deps clean demo-stop
.DEFAULT_GOAL := all

all: $(PROGS)
tests: $(TESTS)
fuzzers: $(FUZZERS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libyubin.a: $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Per component: its archive, its programs, its tests and fuzzers.
define component
$(B)/$(1).a: $(call obj,$(filter-out $(1)/yubin%.c %_test.c %_fuzz.c,$(wildcard $(1)/*.c)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach d,$(COMPONENTS),$(eval $(call component,$(d))))

$(B)/obj/empty.o:
	@mkdir -p $(dir $@)
	printf 'typedef int yubin_empty_unit;\n' > $(B)/obj/empty.c
	$(CC) $(CFLAGS) -c -o $@ $(B)/obj/empty.c

$(foreach d,$(COMPONENTS),$(B)/$(d).a): $(B)/obj/empty.o

define program
$(B)/$(basename $(notdir $(1))): $(call obj,$(1)) $(B)/$(patsubst %/,%,$(dir $(1))).a $(B)/libyubin.a
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach f,$(MAIN_SRC),$(eval $(call program,$(f))))

define unittest
$(B)/test/$(subst /,_,$(basename $(1))): $(call obj,$(1)) $(if $(filter lib/%,$(1)),,$(B)/$(patsubst %/,%,$(dir $(1))).a) $(B)/libyubin.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach f,$(TEST_SRC),$(eval $(call unittest,$(f))))

define fuzzer
$(B)/fuzz/$(subst /,_,$(basename $(1))): $(call obj,$(1)) $(if $(filter lib/%,$(1)),,$(B)/$(patsubst %/,%,$(dir $(1))).a) $(B)/libyubin.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -fsanitize=fuzzer -o $$@ $$^ $$(LIBS)
endef
$(foreach f,$(FUZZ_SRC),$(eval $(call fuzzer,$(f))))

-include $(wildcard */rules.mk)
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# Debian packages the build, the tests and the demo need; installed when missing.
DEBS = build-essential clang libclang-rt-14-dev pkg-config libbearssl-dev libsodium-dev libcdb-dev \
       libc-ares-dev s6 openssl python3 python3-aiosmtpd swaks ucspi-tcp dnsmasq-base \
       fetchmail isync curl procps testssl.sh
deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

check: deps
	$(MAKE) SAN=1 all tests
	$(MAKE) FUZZ=1 fuzzers
	$(PYTHON) tests/run.py --build build/san --fuzz build/fuzz

fuzz: deps
	$(MAKE) FUZZ=1 fuzzers
	$(PYTHON) tests/run.py --build build/san --fuzz build/fuzz --fuzz-seconds 300 --only fuzz

demo: deps all
	sh tests/demo.sh $(B) demo

demo-stop:
	sh tests/demo.sh --stop demo

bench: deps all
	$(PYTHON) tests/bench.py --build $(B)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/yubin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/usr/sbin
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/lib/yubin/
	ln -sf $(PREFIX)/lib/yubin/yubin-setup $(DESTDIR)$(PREFIX)/sbin/yubin-setup
	$(DESTDIR)$(PREFIX)/lib/yubin/yubin-setup --standard-ports $(ROOT)
	ln -sf $(ROOT)/bin/yubinctl $(DESTDIR)$(PREFIX)/sbin/yubinctl
	ln -sf $(ROOT)/bin/sendmail $(DESTDIR)/usr/sbin/sendmail
	install -d $(DESTDIR)/usr/lib
	ln -sf $(ROOT)/bin/sendmail $(DESTDIR)/usr/lib/sendmail
	ln -sf $(ROOT)/bin/mailq $(DESTDIR)$(PREFIX)/bin/mailq

clean:
	rm -rf build
