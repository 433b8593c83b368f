/* The ABI 1.2 additions, pinned as 1.0's and 1.1's are: the member 1.2 appended to the three decision
 * args structs, the size constants that moved with it, and every constant that did not. */
#include <dataflex/dataflex_plugin.h>

#include <stddef.h>
#include <stdint.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define PIN_OFFSET(type, member, value) _Static_assert(offsetof(type, member) == (value), #type "." #member " moved")
#define PIN_CONSTANT(type, value) _Static_assert(type##_STRUCT_SIZE == (value), #type "_STRUCT_SIZE changed")
/* A struct a later minor grew: its size through its last 1.2 member. */
#define PIN_SIZE_THROUGH(type, last, value) \
  _Static_assert(DFX_STRUCT_SIZE(type, last) == (value), #type " through " #last " changed")

/* Appended after each struct's 1.1 end. */
PIN_OFFSET(dfx_select_args, num_selected, 104);
PIN_OFFSET(dfx_select_args, learning_rate, 112);
PIN_OFFSET(dfx_select_args, pool_sample_ids, 120);
PIN_CONSTANT(dfx_select_args, 128);
PIN_OFFSET(dfx_mix_args, proportions_out, 104);
PIN_OFFSET(dfx_mix_args, learning_rate, 112);
PIN_SIZE_THROUGH(dfx_mix_args, learning_rate, 120); /* 1.4 appended observed_excess_losses */
PIN_OFFSET(dfx_weight_args, weights_out, 96);
PIN_OFFSET(dfx_weight_args, learning_rate, 104);
PIN_SIZE_THROUGH(dfx_weight_args, learning_rate, 112); /* 1.4 appended weight_form */

/* Every struct that 1.2 did not grow keeps its 1.1 constant. */
PIN_CONSTANT(dfx_extension_base, 24);
PIN_CONSTANT(dfx_dataset_info_args, 40);
PIN_CONSTANT(dfx_sample_domains_args, 48);
PIN_CONSTANT(dfx_sample_losses_args, 48);
PIN_CONSTANT(dfx_token_losses_args, 80);
PIN_CONSTANT(dfx_domain_losses_args, 48);
PIN_CONSTANT(dfx_gradient_features_args, 96);
PIN_CONSTANT(dfx_embeddings_args, 80);
PIN_CONSTANT(dfx_sample_tokens_args, 80);
PIN_CONSTANT(dfx_param, 64);
PIN_CONSTANT(dfx_create_args, 48);
PIN_CONSTANT(dfx_decision_context, 48);
PIN_CONSTANT(dfx_state_args, 40);
PIN_CONSTANT(dfx_plugin_api, 104);
PIN_SIZE_THROUGH(dfx_host_api, sample_tokens, 120); /* 1.3 appended generate, reward, ... */
_Static_assert(sizeof(dfx_decision_context) == 48, "dfx_decision_context is frozen and must not grow");
_Static_assert(DATAFLEX_ABI_VERSION_MINOR >= 2, "this test pins ABI 1.2");
#endif

/* The initialisers mark the learning rate unknown. */
int main(void) {
  dfx_select_args s;
  dfx_mix_args m;
  dfx_weight_args w;
  dfx_select_args_init(&s);
  dfx_mix_args_init(&m);
  dfx_weight_args_init(&w);
  if (s.learning_rate != -1.0 || m.learning_rate != -1.0 || w.learning_rate != -1.0) return 1;
  if (s.struct_size != dfx_select_args_STRUCT_SIZE || m.struct_size != dfx_mix_args_STRUCT_SIZE ||
      w.struct_size != dfx_weight_args_STRUCT_SIZE)
    return 2;
  if (s.context.max_decisions != -1 || s.pool_sample_ids != NULL) return 3;
  return 0;
}
