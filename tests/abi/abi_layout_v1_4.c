/* The ABI 1.4 additions, pinned as the earlier minors' are: the members appended to the mix and
 * weight args, the new enumerators, and the initialisers' defaults for them. */
#include <dataflex/dataflex_plugin.h>

#include <stddef.h>
#include <stdint.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define PIN_OFFSET(type, member, value) _Static_assert(offsetof(type, member) == (value), #type "." #member " moved")
#define PIN_CONSTANT(type, value) _Static_assert(type##_STRUCT_SIZE == (value), #type "_STRUCT_SIZE changed")

PIN_OFFSET(dfx_mix_args, learning_rate, 112);
PIN_OFFSET(dfx_mix_args, observed_excess_losses, 120);
PIN_CONSTANT(dfx_mix_args, 128);
PIN_OFFSET(dfx_weight_args, learning_rate, 104);
PIN_OFFSET(dfx_weight_args, weight_form, 112);
PIN_CONSTANT(dfx_weight_args, 116);

/* Every struct that 1.4 did not grow keeps its 1.3 constant. */
PIN_CONSTANT(dfx_host_api, 144);
PIN_CONSTANT(dfx_embeddings_args, 80);
PIN_CONSTANT(dfx_select_args, 128);
PIN_CONSTANT(dfx_plugin_api, 104);
PIN_CONSTANT(dfx_decision_context, 48);
_Static_assert(DATAFLEX_ABI_VERSION == DFX_MAKE_ABI_VERSION(1, 4), "this test pins ABI 1.4");
#endif

_Static_assert(DFX_POOLING_POSITION_WEIGHTED == 3, "dfx_pooling values are fixed");
_Static_assert(DFX_WEIGHTS_NORMALIZED == 0 && DFX_WEIGHTS_ABSOLUTE == 1, "dfx_weight_form values are fixed");

/* The initialisers: no excess losses offered, weights normalised (what every 1.3 host did). */
int main(void) {
  dfx_mix_args m;
  dfx_weight_args w;
  dfx_mix_args_init(&m);
  dfx_weight_args_init(&w);
  if (m.observed_excess_losses != NULL) return 1;
  if (w.weight_form != DFX_WEIGHTS_NORMALIZED) return 2;
  if (m.struct_size != dfx_mix_args_STRUCT_SIZE || w.struct_size != dfx_weight_args_STRUCT_SIZE) return 3;
  return 0;
}
