/* uniform: the Weight trainer's baseline -- every sample of the batch gets weight 1, so the weighted
 * loss is the plain mean. Written in C against the bare ABI, as the smallest complete plugin. */
#include <dataflex/dataflex_plugin.h>

#include <stdlib.h>

struct dfx_instance {
  const dfx_host_api* host;
};

static dfx_status uniform_create(dfx_create_args* args) {
  struct dfx_instance* self = (struct dfx_instance*)malloc(sizeof *self);
  if (self == NULL) {
    args->host_api->set_error(args->host_api->host, "uniform: out of memory");
    return DFX_ERR_OUT_OF_MEMORY;
  }
  self->host = args->host_api;
  args->instance_out = self;
  return DFX_OK;
}

static void uniform_destroy(dfx_instance* instance) { free(instance); }

static dfx_status uniform_weight(dfx_weight_args* args) {
  size_t i;
  for (i = 0; i < args->batch_size; ++i) args->weights_out[i] = 1.0;
  return DFX_OK;
}

static const dfx_plugin_api uniform_api = {
    sizeof(dfx_plugin_api),
    DATAFLEX_ABI_VERSION,
    "uniform",
    "1.0.0",
    DFX_KIND_WEIGHTER,
    uniform_create,
    uniform_destroy,
    NULL, /* select */
    NULL, /* mix */
    uniform_weight,
    NULL, /* save_state: stateless */
    NULL, /* load_state */
    NULL, /* extension_start */
};

DFX_PLUGIN_EXPORT const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version) {
  if (DFX_ABI_VERSION_GET_MAJOR(host_abi_version) != DATAFLEX_ABI_VERSION_MAJOR) return NULL;
  return &uniform_api;
}
