/* The ABI 1.1 additions, pinned as 1.0's are (abi_layout_v1_0.c): the members 1.1 appended, the new
 * struct, and the per-struct size constants plugins set struct_size from. */
#include <dataflex/dataflex_plugin.h>

#include <stddef.h>
#include <stdint.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define PIN_OFFSET(type, member, value) _Static_assert(offsetof(type, member) == (value), #type "." #member " moved")
#define PIN_CONSTANT(type, value) _Static_assert(type##_STRUCT_SIZE == (value), #type "_STRUCT_SIZE changed")
/* A struct that a later minor grew: its 1.1 size, through its last 1.1 member. */
#define PIN_SIZE_THROUGH(type, last, value) \
  _Static_assert(DFX_STRUCT_SIZE(type, last) == (value), "size of " #type " through " #last " changed")

/* Appended to the host table. */
PIN_OFFSET(dfx_host_api, sample_tokens, 112);
PIN_SIZE_THROUGH(dfx_host_api, sample_tokens, 120); /* 1.3 appended generate, reward, ... */

PIN_OFFSET(dfx_sample_tokens_args, struct_size, 0);
PIN_OFFSET(dfx_sample_tokens_args, host, 8);
PIN_OFFSET(dfx_sample_tokens_args, dataset, 16);
PIN_OFFSET(dfx_sample_tokens_args, sample_ids, 24);
PIN_OFFSET(dfx_sample_tokens_args, num_samples, 32);
PIN_OFFSET(dfx_sample_tokens_args, token_ids_out, 40);
PIN_OFFSET(dfx_sample_tokens_args, trained_out, 48);
PIN_OFFSET(dfx_sample_tokens_args, capacity, 56);
PIN_OFFSET(dfx_sample_tokens_args, offsets_out, 64);
PIN_OFFSET(dfx_sample_tokens_args, num_tokens, 72);
PIN_CONSTANT(dfx_sample_tokens_args, 80);

/* Every struct that 1.1 did not grow: its constant is its 1.0 size. */
PIN_CONSTANT(dfx_extension_base, 24);
PIN_CONSTANT(dfx_dataset_info_args, 40);
PIN_CONSTANT(dfx_sample_domains_args, 48);
PIN_CONSTANT(dfx_sample_losses_args, 48);
PIN_CONSTANT(dfx_token_losses_args, 80);
PIN_CONSTANT(dfx_domain_losses_args, 48);
PIN_CONSTANT(dfx_gradient_features_args, 96);
PIN_CONSTANT(dfx_embeddings_args, 80);
PIN_CONSTANT(dfx_param, 64);
PIN_CONSTANT(dfx_create_args, 48);
PIN_CONSTANT(dfx_decision_context, 48);
PIN_SIZE_THROUGH(dfx_select_args, num_selected, 112); /* 1.2 appended learning_rate */
PIN_SIZE_THROUGH(dfx_mix_args, proportions_out, 112);
PIN_SIZE_THROUGH(dfx_weight_args, weights_out, 104);
PIN_CONSTANT(dfx_state_args, 40);
PIN_CONSTANT(dfx_plugin_api, 104);

/* dfx_decision_context is frozen: it is embedded by value, so it can never grow. */
_Static_assert(sizeof(dfx_decision_context) == 48, "dfx_decision_context is frozen and must not grow");
_Static_assert(DFX_MAKE_ABI_VERSION(1, 1) == 0x00010001u, "ABI version encoding changed");
#endif

/* The initialisers set the documented defaults. */
int main(void) {
  dfx_gradient_features_args g;
  dfx_embeddings_args e;
  dfx_domain_losses_args d;
  dfx_select_args s;
  dfx_plugin_api p;
  dfx_gradient_features_args_init(&g);
  dfx_embeddings_args_init(&e);
  dfx_domain_losses_args_init(&d);
  dfx_select_args_init(&s);
  dfx_plugin_api_init(&p);
  if (g.struct_size != dfx_gradient_features_args_STRUCT_SIZE || g.projection != DFX_PROJECTION_DENSE ||
      g.projection_dim != 8192 || g.preconditioner != DFX_PRECONDITIONER_SGD || g.parameter_filter != NULL)
    return 1;
  if (e.layer != -1 || e.pooling != DFX_POOLING_MEAN || e.normalize != 1 || e.model != DFX_MODEL_CURRENT) return 2;
  if (d.dataset != DFX_DATASET_EVAL || d.model != DFX_MODEL_CURRENT) return 3;
  if (s.struct_size != dfx_select_args_STRUCT_SIZE || s.context.struct_size != dfx_decision_context_STRUCT_SIZE ||
      s.context.max_decisions != -1 || s.allow_duplicates != 0)
    return 4;
  if (p.abi_version != DATAFLEX_ABI_VERSION || p.struct_size != dfx_plugin_api_STRUCT_SIZE || p.select != NULL)
    return 5;
  return 0;
}
