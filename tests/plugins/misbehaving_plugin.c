/* A test plugin that misbehaves on purpose, to show the host refuses each kind of bad answer.
 * Built three times: as a selector, a mixer and a weighter (-DMISBEHAVING_KIND=1|2|3). Its string
 * parameter `behaviour` picks what goes wrong; "none" answers correctly. */
#define _POSIX_C_SOURCE 200809L /* pause() */
#include <dataflex/dataflex_plugin.h>

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dfx_instance {
  const dfx_host_api* host;
  char behaviour[32];
};

static int is(const dfx_instance* self, const char* b) { return strcmp(self->behaviour, b) == 0; }

static dfx_status misbehaving_create(dfx_create_args* args) {
  size_t i;
  struct dfx_instance* self = (struct dfx_instance*)calloc(1, sizeof *self);
  if (self == NULL) return DFX_ERR_OUT_OF_MEMORY;
  self->host = args->host_api;
  strcpy(self->behaviour, "none");
  for (i = 0; i < args->num_params; ++i)
    if (strcmp(args->params[i]->name, "behaviour") == 0 && args->params[i]->string_value)
      strncpy(self->behaviour, args->params[i]->string_value, sizeof self->behaviour - 1);
  if (is(self, "fail_create")) {
    args->host_api->set_error(args->host_api->host, "refusing to start: fail_create was asked for");
    free(self);
    return DFX_ERR_INVALID_ARGUMENT;
  }
  args->instance_out = self;
  return DFX_OK;
}

static void misbehaving_destroy(dfx_instance* instance) { free(instance); }

/* The faults a plugin can commit against its host's process (issue 12): a crash, an abort, exit(),
 * a call that never returns. */
static void commit_fault(const dfx_instance* self) {
  if (is(self, "segfault")) {
    volatile int* nowhere = NULL;
    *nowhere = 1;
  }
  if (is(self, "abort")) abort();
  if (is(self, "exit")) exit(0);
  if (is(self, "hang"))
    for (;;) pause();
}

static dfx_status fail(dfx_instance* self) {
  self->host->set_error(self->host->host, "threshold must be positive, got -1");
  return DFX_ERR_INVALID_ARGUMENT;
}

static dfx_status misbehaving_select(dfx_select_args* a) {
  size_t i, n = a->num_select;
  if (is(a->instance, "error_status")) return fail(a->instance);
  commit_fault(a->instance);
  if (is(a->instance, "wrong_count")) n = a->num_select > 0 ? a->num_select - 1 : 0;
  for (i = 0; i < n; ++i) a->selected_out[i] = (int64_t)(i % a->pool_size);
  if (is(a->instance, "out_of_range") && n > 0) a->selected_out[n - 1] = (int64_t)a->pool_size;
  if (is(a->instance, "duplicates") && n > 1) a->selected_out[1] = a->selected_out[0];
  if (is(a->instance, "negative_index") && n > 0) a->selected_out[0] = -3;
  if (is(a->instance, "overrun")) a->selected_out[a->num_select] = 0; /* one id past the buffer */
  a->num_selected = n;
  return DFX_OK;
}

static dfx_status misbehaving_mix(dfx_mix_args* a) {
  size_t i;
  if (is(a->instance, "error_status")) return fail(a->instance);
  commit_fault(a->instance);
  for (i = 0; i < a->num_domains; ++i) a->proportions_out[i] = 1.0;
  if (is(a->instance, "nan") && a->num_domains > 0) a->proportions_out[0] = nan("");
  if (is(a->instance, "negative") && a->num_domains > 0) a->proportions_out[a->num_domains - 1] = -0.5;
  if (is(a->instance, "zero"))
    for (i = 0; i < a->num_domains; ++i) a->proportions_out[i] = 0.0;
  if (is(a->instance, "huge"))
    for (i = 0; i < a->num_domains; ++i) a->proportions_out[i] = i == 0 ? 1e308 : 0.5e308;
  if (is(a->instance, "overrun")) a->proportions_out[a->num_domains] = 1.0;
  return DFX_OK;
}

static dfx_status misbehaving_weight(dfx_weight_args* a) {
  size_t i;
  if (is(a->instance, "error_status")) return fail(a->instance);
  commit_fault(a->instance);
  for (i = 0; i < a->batch_size; ++i) a->weights_out[i] = 1.0;
  if (is(a->instance, "nan") && a->batch_size > 0) a->weights_out[0] = nan("");
  if (is(a->instance, "negative") && a->batch_size > 0) a->weights_out[0] = -1.0;
  if (is(a->instance, "huge"))
    for (i = 0; i < a->batch_size; ++i) a->weights_out[i] = 1e308;
  if (is(a->instance, "overrun")) a->weights_out[a->batch_size] = 1.0;
  return DFX_OK;
}

/* With MISBEHAVING_ABI_MINOR the plugin poses as one built against a newer minor of the SDK: it
 * reports that version and a table with a member appended after the 1.0 ones, which a 1.0 host must
 * ignore. */
#ifdef MISBEHAVING_ABI_MINOR
#define REPORTED_ABI DFX_MAKE_ABI_VERSION(DATAFLEX_ABI_VERSION_MAJOR, MISBEHAVING_ABI_MINOR)
#else
#define REPORTED_ABI DATAFLEX_ABI_VERSION
#endif

struct table_of_a_newer_minor {
  dfx_plugin_api v1_0;
  void (*appended_later)(void);
};

static const struct table_of_a_newer_minor misbehaving_table = {
    {
#ifdef MISBEHAVING_ABI_MINOR
        sizeof(struct table_of_a_newer_minor),
#else
        sizeof(dfx_plugin_api),
#endif
        REPORTED_ABI,
        "misbehaving",
        "0.1.0",
        MISBEHAVING_KIND,
        misbehaving_create,
        misbehaving_destroy,
        MISBEHAVING_KIND == DFX_KIND_SELECTOR ? misbehaving_select : NULL,
        MISBEHAVING_KIND == DFX_KIND_MIXER ? misbehaving_mix : NULL,
        MISBEHAVING_KIND == DFX_KIND_WEIGHTER ? misbehaving_weight : NULL,
        NULL,
        NULL,
        NULL,
    },
    NULL};

DFX_PLUGIN_EXPORT const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version) {
  if (DFX_ABI_VERSION_GET_MAJOR(host_abi_version) != DATAFLEX_ABI_VERSION_MAJOR) return NULL;
  return &misbehaving_table.v1_0;
}
