/* The ABI 1.3 additions, pinned as the earlier minors' are: the three service args structs, the
 * functions appended to the host table, the enumerators, and every constant that did not move. */
#include <dataflex/dataflex_plugin.h>

#include <stddef.h>
#include <stdint.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define PIN_OFFSET(type, member, value) _Static_assert(offsetof(type, member) == (value), #type "." #member " moved")
#define PIN_CONSTANT(type, value) _Static_assert(type##_STRUCT_SIZE == (value), #type "_STRUCT_SIZE changed")

/* Appended to the host table after sample_tokens (1.1). */
PIN_OFFSET(dfx_host_api, sample_tokens, 112);
PIN_OFFSET(dfx_host_api, generate, 120);
PIN_OFFSET(dfx_host_api, reward, 128);
PIN_OFFSET(dfx_host_api, response_gradient_features, 136);
PIN_CONSTANT(dfx_host_api, 144);

PIN_OFFSET(dfx_generate_args, dataset, 16);
PIN_OFFSET(dfx_generate_args, model, 20);
PIN_OFFSET(dfx_generate_args, sample_ids, 24);
PIN_OFFSET(dfx_generate_args, num_samples, 32);
PIN_OFFSET(dfx_generate_args, num_return, 40);
PIN_OFFSET(dfx_generate_args, max_new_tokens, 44);
PIN_OFFSET(dfx_generate_args, temperature, 48);
PIN_OFFSET(dfx_generate_args, top_p, 56);
PIN_OFFSET(dfx_generate_args, top_k, 64);
PIN_OFFSET(dfx_generate_args, seed, 72);
PIN_OFFSET(dfx_generate_args, token_ids_out, 80);
PIN_OFFSET(dfx_generate_args, capacity, 88);
PIN_OFFSET(dfx_generate_args, offsets_out, 96);
PIN_OFFSET(dfx_generate_args, num_tokens, 104);
PIN_CONSTANT(dfx_generate_args, 112);

PIN_OFFSET(dfx_reward_args, dataset, 16);
PIN_OFFSET(dfx_reward_args, reward, 20);
PIN_OFFSET(dfx_reward_args, sample_ids, 24);
PIN_OFFSET(dfx_reward_args, num_responses, 32);
PIN_OFFSET(dfx_reward_args, response_tokens, 40);
PIN_OFFSET(dfx_reward_args, response_offsets, 48);
PIN_OFFSET(dfx_reward_args, rewards_out, 56);
PIN_CONSTANT(dfx_reward_args, 64);

PIN_OFFSET(dfx_response_features_args, dataset, 16);
PIN_OFFSET(dfx_response_features_args, sample_ids, 24);
PIN_OFFSET(dfx_response_features_args, num_responses, 32);
PIN_OFFSET(dfx_response_features_args, response_tokens, 40);
PIN_OFFSET(dfx_response_features_args, response_offsets, 48);
PIN_OFFSET(dfx_response_features_args, weights, 56);
PIN_OFFSET(dfx_response_features_args, group_size, 64);
PIN_OFFSET(dfx_response_features_args, projection, 72);
PIN_OFFSET(dfx_response_features_args, projection_dim, 76);
PIN_OFFSET(dfx_response_features_args, projection_seed, 80);
PIN_OFFSET(dfx_response_features_args, parameter_filter, 88);
PIN_OFFSET(dfx_response_features_args, features_out, 96);
PIN_OFFSET(dfx_response_features_args, capacity, 104);
PIN_OFFSET(dfx_response_features_args, feature_dim, 112);
PIN_CONSTANT(dfx_response_features_args, 120);

/* Every struct that 1.3 did not grow keeps its 1.2 constant. */
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
PIN_CONSTANT(dfx_select_args, 128);
PIN_OFFSET(dfx_mix_args, learning_rate, 112);    /* 1.4 appended a member (1.3 size: 120) */
PIN_OFFSET(dfx_weight_args, learning_rate, 104); /* 1.4 appended a member (1.3 size: 112) */
PIN_CONSTANT(dfx_state_args, 40);
PIN_CONSTANT(dfx_plugin_api, 104);
_Static_assert(DATAFLEX_ABI_VERSION_MINOR >= 3, "this test pins ABI 1.3");
#endif

_Static_assert(DFX_MODEL_POLICY == 3, "dfx_model enumerators are fixed");
_Static_assert(DFX_REWARD_MODEL == 0 && DFX_REWARD_EXACT_MATCH == 1 && DFX_REWARD_TOKEN_F1 == 2 &&
                   DFX_REWARD_ROUGE_L == 3,
               "dfx_reward enumerators are fixed");

/* The initialisers set the documented defaults. */
int main(void) {
  dfx_generate_args g;
  dfx_reward_args r;
  dfx_response_features_args f;
  dfx_host_api api;
  dfx_generate_args_init(&g);
  dfx_reward_args_init(&r);
  dfx_response_features_args_init(&f);
  dfx_host_api_init(&api);
  if (g.struct_size != dfx_generate_args_STRUCT_SIZE || g.dataset != DFX_DATASET_EVAL || g.model != DFX_MODEL_CURRENT ||
      g.num_return != 1 || g.max_new_tokens != 64 || g.temperature != 1.0 || g.top_p != 1.0 || g.top_k != 0 ||
      g.seed != 0 || g.token_ids_out != NULL)
    return 1;
  if (r.struct_size != dfx_reward_args_STRUCT_SIZE || r.dataset != DFX_DATASET_EVAL ||
      r.reward != DFX_REWARD_TOKEN_F1 || r.rewards_out != NULL)
    return 2;
  if (f.struct_size != dfx_response_features_args_STRUCT_SIZE || f.dataset != DFX_DATASET_EVAL || f.weights != NULL ||
      f.group_size != 1 || f.projection != DFX_PROJECTION_DENSE || f.projection_dim != 8192)
    return 3;
  if (api.generate != NULL || api.reward != NULL || api.response_gradient_features != NULL) return 4;
  return 0;
}
