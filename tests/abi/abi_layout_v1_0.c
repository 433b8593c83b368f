/* The ABI 1.0 layouts, pinned (ONNX Runtime's practice): every struct's size and every member's
 * offset on LP64 targets, as released. A change that moves any of them breaks plugins built against
 * 1.0 and fails this file's compilation. A minor version may only add members after the last one:
 * a struct that grew is pinned here by its size through its last 1.0 member (PIN_SIZE_THROUGH), and
 * its new members by the file of that minor (abi_layout_v1_1.c, ...). */
#include <dataflex/dataflex_plugin.h>

#include <stddef.h>
#include <stdint.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define PIN_OFFSET(type, member, value) _Static_assert(offsetof(type, member) == (value), #type "." #member " moved")
#define PIN_SIZE(type, value) _Static_assert(sizeof(type) == (value), "size of " #type " changed")
#define PIN_SIZE_THROUGH(type, last, value) \
  _Static_assert(DFX_STRUCT_SIZE(type, last) == (value), "size of " #type " through " #last " changed")

PIN_SIZE(dfx_extension_base, 24);
PIN_OFFSET(dfx_extension_base, struct_size, 0);
PIN_OFFSET(dfx_extension_base, type, 8);
PIN_OFFSET(dfx_extension_base, next, 16);
PIN_SIZE(dfx_dataset_info_args, 40);
PIN_OFFSET(dfx_dataset_info_args, struct_size, 0);
PIN_OFFSET(dfx_dataset_info_args, host, 8);
PIN_OFFSET(dfx_dataset_info_args, dataset, 16);
PIN_OFFSET(dfx_dataset_info_args, num_samples, 24);
PIN_OFFSET(dfx_dataset_info_args, num_domains, 32);
PIN_SIZE(dfx_sample_domains_args, 48);
PIN_OFFSET(dfx_sample_domains_args, struct_size, 0);
PIN_OFFSET(dfx_sample_domains_args, host, 8);
PIN_OFFSET(dfx_sample_domains_args, dataset, 16);
PIN_OFFSET(dfx_sample_domains_args, sample_ids, 24);
PIN_OFFSET(dfx_sample_domains_args, num_samples, 32);
PIN_OFFSET(dfx_sample_domains_args, domains_out, 40);
PIN_SIZE(dfx_sample_losses_args, 48);
PIN_OFFSET(dfx_sample_losses_args, struct_size, 0);
PIN_OFFSET(dfx_sample_losses_args, host, 8);
PIN_OFFSET(dfx_sample_losses_args, dataset, 16);
PIN_OFFSET(dfx_sample_losses_args, model, 20);
PIN_OFFSET(dfx_sample_losses_args, sample_ids, 24);
PIN_OFFSET(dfx_sample_losses_args, num_samples, 32);
PIN_OFFSET(dfx_sample_losses_args, losses_out, 40);
PIN_SIZE(dfx_token_losses_args, 80);
PIN_OFFSET(dfx_token_losses_args, struct_size, 0);
PIN_OFFSET(dfx_token_losses_args, host, 8);
PIN_OFFSET(dfx_token_losses_args, dataset, 16);
PIN_OFFSET(dfx_token_losses_args, model, 20);
PIN_OFFSET(dfx_token_losses_args, sample_ids, 24);
PIN_OFFSET(dfx_token_losses_args, num_samples, 32);
PIN_OFFSET(dfx_token_losses_args, token_losses_out, 40);
PIN_OFFSET(dfx_token_losses_args, token_capacity, 48);
PIN_OFFSET(dfx_token_losses_args, offsets_out, 56);
PIN_OFFSET(dfx_token_losses_args, domains_out, 64);
PIN_OFFSET(dfx_token_losses_args, num_tokens, 72);
PIN_SIZE(dfx_domain_losses_args, 48);
PIN_OFFSET(dfx_domain_losses_args, struct_size, 0);
PIN_OFFSET(dfx_domain_losses_args, host, 8);
PIN_OFFSET(dfx_domain_losses_args, dataset, 16);
PIN_OFFSET(dfx_domain_losses_args, model, 20);
PIN_OFFSET(dfx_domain_losses_args, losses_out, 24);
PIN_OFFSET(dfx_domain_losses_args, capacity, 32);
PIN_OFFSET(dfx_domain_losses_args, num_domains, 40);
PIN_SIZE(dfx_gradient_features_args, 96);
PIN_OFFSET(dfx_gradient_features_args, struct_size, 0);
PIN_OFFSET(dfx_gradient_features_args, host, 8);
PIN_OFFSET(dfx_gradient_features_args, dataset, 16);
PIN_OFFSET(dfx_gradient_features_args, sample_ids, 24);
PIN_OFFSET(dfx_gradient_features_args, num_samples, 32);
PIN_OFFSET(dfx_gradient_features_args, preconditioner, 40);
PIN_OFFSET(dfx_gradient_features_args, projection, 44);
PIN_OFFSET(dfx_gradient_features_args, projection_dim, 48);
PIN_OFFSET(dfx_gradient_features_args, projection_seed, 56);
PIN_OFFSET(dfx_gradient_features_args, parameter_filter, 64);
PIN_OFFSET(dfx_gradient_features_args, features_out, 72);
PIN_OFFSET(dfx_gradient_features_args, capacity, 80);
PIN_OFFSET(dfx_gradient_features_args, feature_dim, 88);
PIN_SIZE(dfx_embeddings_args, 80);
PIN_OFFSET(dfx_embeddings_args, struct_size, 0);
PIN_OFFSET(dfx_embeddings_args, host, 8);
PIN_OFFSET(dfx_embeddings_args, dataset, 16);
PIN_OFFSET(dfx_embeddings_args, model, 20);
PIN_OFFSET(dfx_embeddings_args, sample_ids, 24);
PIN_OFFSET(dfx_embeddings_args, num_samples, 32);
PIN_OFFSET(dfx_embeddings_args, layer, 40);
PIN_OFFSET(dfx_embeddings_args, pooling, 44);
PIN_OFFSET(dfx_embeddings_args, normalize, 48);
PIN_OFFSET(dfx_embeddings_args, embeddings_out, 56);
PIN_OFFSET(dfx_embeddings_args, capacity, 64);
PIN_OFFSET(dfx_embeddings_args, embedding_dim, 72);
PIN_SIZE_THROUGH(dfx_host_api, extension_start, 112); /* 1.1 appended sample_tokens */
PIN_OFFSET(dfx_host_api, struct_size, 0);
PIN_OFFSET(dfx_host_api, abi_version, 8);
PIN_OFFSET(dfx_host_api, host, 16);
PIN_OFFSET(dfx_host_api, set_error, 24);
PIN_OFFSET(dfx_host_api, log, 32);
PIN_OFFSET(dfx_host_api, record_metric, 40);
PIN_OFFSET(dfx_host_api, dataset_info, 48);
PIN_OFFSET(dfx_host_api, sample_domains, 56);
PIN_OFFSET(dfx_host_api, sample_losses, 64);
PIN_OFFSET(dfx_host_api, token_losses, 72);
PIN_OFFSET(dfx_host_api, domain_losses, 80);
PIN_OFFSET(dfx_host_api, gradient_features, 88);
PIN_OFFSET(dfx_host_api, embeddings, 96);
PIN_OFFSET(dfx_host_api, extension_start, 104);
PIN_SIZE(dfx_param, 64);
PIN_OFFSET(dfx_param, struct_size, 0);
PIN_OFFSET(dfx_param, name, 8);
PIN_OFFSET(dfx_param, type, 16);
PIN_OFFSET(dfx_param, bool_value, 20);
PIN_OFFSET(dfx_param, int_value, 24);
PIN_OFFSET(dfx_param, float_value, 32);
PIN_OFFSET(dfx_param, string_value, 40);
PIN_OFFSET(dfx_param, float_list, 48);
PIN_OFFSET(dfx_param, float_list_size, 56);
PIN_SIZE(dfx_create_args, 48);
PIN_OFFSET(dfx_create_args, struct_size, 0);
PIN_OFFSET(dfx_create_args, host_api, 8);
PIN_OFFSET(dfx_create_args, params, 16);
PIN_OFFSET(dfx_create_args, num_params, 24);
PIN_OFFSET(dfx_create_args, seed, 32);
PIN_OFFSET(dfx_create_args, instance_out, 40);
PIN_SIZE(dfx_decision_context, 48);
PIN_OFFSET(dfx_decision_context, struct_size, 0);
PIN_OFFSET(dfx_decision_context, step, 8);
PIN_OFFSET(dfx_decision_context, total_steps, 16);
PIN_OFFSET(dfx_decision_context, decision_index, 24);
PIN_OFFSET(dfx_decision_context, max_decisions, 32);
PIN_OFFSET(dfx_decision_context, seed, 40);
PIN_SIZE_THROUGH(dfx_select_args, num_selected, 112); /* 1.2 appended learning_rate */
PIN_OFFSET(dfx_select_args, struct_size, 0);
PIN_OFFSET(dfx_select_args, instance, 8);
PIN_OFFSET(dfx_select_args, context, 16);
PIN_OFFSET(dfx_select_args, pool_size, 64);
PIN_OFFSET(dfx_select_args, num_select, 72);
PIN_OFFSET(dfx_select_args, allow_duplicates, 80);
PIN_OFFSET(dfx_select_args, selected_out, 88);
PIN_OFFSET(dfx_select_args, scores_out, 96);
PIN_OFFSET(dfx_select_args, num_selected, 104);
PIN_SIZE_THROUGH(dfx_mix_args, proportions_out, 112); /* 1.2 appended learning_rate */
PIN_OFFSET(dfx_mix_args, struct_size, 0);
PIN_OFFSET(dfx_mix_args, instance, 8);
PIN_OFFSET(dfx_mix_args, context, 16);
PIN_OFFSET(dfx_mix_args, num_domains, 64);
PIN_OFFSET(dfx_mix_args, domain_names, 72);
PIN_OFFSET(dfx_mix_args, current_proportions, 80);
PIN_OFFSET(dfx_mix_args, observed_losses, 88);
PIN_OFFSET(dfx_mix_args, observed_tokens, 96);
PIN_OFFSET(dfx_mix_args, proportions_out, 104);
PIN_SIZE_THROUGH(dfx_weight_args, weights_out, 104); /* 1.2 appended learning_rate */
PIN_OFFSET(dfx_weight_args, struct_size, 0);
PIN_OFFSET(dfx_weight_args, instance, 8);
PIN_OFFSET(dfx_weight_args, context, 16);
PIN_OFFSET(dfx_weight_args, batch_size, 64);
PIN_OFFSET(dfx_weight_args, sample_ids, 72);
PIN_OFFSET(dfx_weight_args, domains, 80);
PIN_OFFSET(dfx_weight_args, losses, 88);
PIN_OFFSET(dfx_weight_args, weights_out, 96);
PIN_SIZE(dfx_state_args, 40);
PIN_OFFSET(dfx_state_args, struct_size, 0);
PIN_OFFSET(dfx_state_args, instance, 8);
PIN_OFFSET(dfx_state_args, buffer, 16);
PIN_OFFSET(dfx_state_args, capacity, 24);
PIN_OFFSET(dfx_state_args, size, 32);
PIN_SIZE(dfx_plugin_api, 104);
PIN_OFFSET(dfx_plugin_api, struct_size, 0);
PIN_OFFSET(dfx_plugin_api, abi_version, 8);
PIN_OFFSET(dfx_plugin_api, name, 16);
PIN_OFFSET(dfx_plugin_api, version, 24);
PIN_OFFSET(dfx_plugin_api, kind, 32);
PIN_OFFSET(dfx_plugin_api, create, 40);
PIN_OFFSET(dfx_plugin_api, destroy, 48);
PIN_OFFSET(dfx_plugin_api, select, 56);
PIN_OFFSET(dfx_plugin_api, mix, 64);
PIN_OFFSET(dfx_plugin_api, weight, 72);
PIN_OFFSET(dfx_plugin_api, save_state, 80);
PIN_OFFSET(dfx_plugin_api, load_state, 88);
PIN_OFFSET(dfx_plugin_api, extension_start, 96);

/* The version encoding and the status codes are part of the ABI too. */
_Static_assert(DFX_MAKE_ABI_VERSION(1, 0) == 0x00010000u, "ABI version encoding changed");
_Static_assert(DFX_OK == 0 && DFX_ERR_INVALID_ARGUMENT == 1 && DFX_ERR_UNIMPLEMENTED == 2 &&
                   DFX_ERR_BUFFER_TOO_SMALL == 3 && DFX_ERR_FAILED_PRECONDITION == 4 && DFX_ERR_OUT_OF_MEMORY == 5 &&
                   DFX_ERR_INTERNAL == 6 && DFX_ERR_CANCELLED == 7,
               "status codes changed");
_Static_assert(DFX_KIND_SELECTOR == 1 && DFX_KIND_MIXER == 2 && DFX_KIND_WEIGHTER == 3, "kinds changed");
_Static_assert(DFX_PARAM_BOOL == 1 && DFX_PARAM_INT == 2 && DFX_PARAM_FLOAT == 3 && DFX_PARAM_STRING == 4 &&
                   DFX_PARAM_FLOAT_LIST == 5,
               "parameter types changed");
#endif

int main(void) { return 0; }
