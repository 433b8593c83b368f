/* Compiled by the tests with -std=c99 / -std=c11 -Wall -Wextra -Wpedantic -Werror. */
#include <dataflex/dataflex_plugin.h>

/* Use a few declarations so that the header's types are instantiated, not only parsed. */
static size_t sizes(void) {
  dfx_plugin_api api;
  dfx_select_args select;
  api.struct_size = DFX_STRUCT_SIZE(dfx_plugin_api, extension_start);
  select.struct_size = sizeof select;
  return api.struct_size + select.struct_size + DATAFLEX_ABI_VERSION;
}

int main(void) { return sizes() == 0; }
