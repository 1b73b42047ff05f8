# ctl: the service templates of conf-templates/service/ are compiled into
# yubin-setup.  The generated table is rebuilt when any template file, or the
# set of files (a directory's time changes), changes.
CTL_TEMPLATE_DEPS := $(shell find conf-templates/service 2>/dev/null)

$(B)/gen/templates.c: ctl/gentemplates.sh $(CTL_TEMPLATE_DEPS)
	@mkdir -p $(dir $@)
	sh ctl/gentemplates.sh conf-templates/service $@

$(B)/obj/gen/templates.o: $(B)/gen/templates.c ctl/templates.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ictl -c -o $@ $<

$(B)/ctl.a: $(B)/obj/gen/templates.o
