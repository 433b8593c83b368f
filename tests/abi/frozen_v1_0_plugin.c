/* A selector built against the FROZEN copy of the v1.0 header (tests/abi/v1_0/include), never the
 * current one: the current runtime must keep loading it. It picks the num_select ids with the highest
 * recorded loss (host service sample_losses), ties to the lower id, and keeps a decision counter as state. */
#include <dataflex/dataflex_plugin.h>

#include <stdlib.h>
#include <string.h>

struct dfx_instance {
  const dfx_host_api* host;
  int64_t decisions;
};

static dfx_status frozen_create(dfx_create_args* args) {
  struct dfx_instance* self = (struct dfx_instance*)calloc(1, sizeof *self);
  if (self == NULL) return DFX_ERR_OUT_OF_MEMORY;
  self->host = args->host_api;
  args->instance_out = self;
  return DFX_OK;
}

static void frozen_destroy(dfx_instance* instance) { free(instance); }

static dfx_status frozen_select(dfx_select_args* a) {
  dfx_sample_losses_args q;
  int64_t* ids;
  float* losses;
  size_t i, j;
  dfx_status s;
  ids = (int64_t*)malloc(a->pool_size * sizeof *ids);
  losses = (float*)malloc(a->pool_size * sizeof *losses);
  if (!ids || !losses) {
    free(ids);
    free(losses);
    return DFX_ERR_OUT_OF_MEMORY;
  }
  for (i = 0; i < a->pool_size; ++i) ids[i] = (int64_t)i;
  memset(&q, 0, sizeof q);
  q.struct_size = sizeof q;
  q.host = a->instance->host->host;
  q.dataset = DFX_DATASET_TRAIN;
  q.model = DFX_MODEL_CURRENT;
  q.sample_ids = ids;
  q.num_samples = a->pool_size;
  q.losses_out = losses;
  s = a->instance->host->sample_losses(&q);
  if (s != DFX_OK) {
    free(ids);
    free(losses);
    return s; /* the host already recorded its message */
  }
  /* selection sort of the top num_select: the pools in tests are tiny */
  for (i = 0; i < a->num_select && i < a->pool_size; ++i) {
    size_t best = i;
    for (j = i + 1; j < a->pool_size; ++j)
      if (losses[j] > losses[best] || (losses[j] == losses[best] && ids[j] < ids[best])) best = j;
    {
      float tl = losses[i];
      losses[i] = losses[best];
      losses[best] = tl;
    }
    {
      int64_t ti = ids[i];
      ids[i] = ids[best];
      ids[best] = ti;
    }
    a->selected_out[i] = ids[i];
    a->scores_out[i] = losses[i];
  }
  a->num_selected = i;
  a->instance->decisions++;
  a->instance->host->record_metric(a->instance->host->host, "frozen.decisions", (double)a->instance->decisions);
  free(ids);
  free(losses);
  return DFX_OK;
}

static dfx_status frozen_save(dfx_state_args* a) {
  a->size = sizeof(int64_t);
  if (a->buffer == NULL) return DFX_OK;
  if (a->capacity < sizeof(int64_t)) return DFX_ERR_BUFFER_TOO_SMALL;
  memcpy(a->buffer, &a->instance->decisions, sizeof(int64_t));
  return DFX_OK;
}

static dfx_status frozen_load(dfx_state_args* a) {
  if (a->capacity != sizeof(int64_t)) return DFX_ERR_INVALID_ARGUMENT;
  memcpy(&a->instance->decisions, a->buffer, sizeof(int64_t));
  return DFX_OK;
}

static const dfx_plugin_api frozen_api = {
    sizeof(dfx_plugin_api),
    DATAFLEX_ABI_VERSION,
    "frozen_v1_0",
    "1.0.0",
    DFX_KIND_SELECTOR,
    frozen_create,
    frozen_destroy,
    frozen_select,
    NULL,
    NULL,
    frozen_save,
    frozen_load,
    NULL,
};

DFX_PLUGIN_EXPORT const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version) {
  if (DFX_ABI_VERSION_GET_MAJOR(host_abi_version) != 1) return NULL;
  return &frozen_api;
}
