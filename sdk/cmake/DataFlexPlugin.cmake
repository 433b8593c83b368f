# dataflex_add_plugin(<name> SOURCES <src>... MANIFEST <plugin.toml>
#                     [OUTPUT_DIR <dir>] [INSTALL_DIR <dir>] [TARGET <target>] [NO_SDK])
#
# Builds a DataFlex plugin: a MODULE library named libdataflex_<name>.so that exports exactly one
# symbol (dataflex_plugin_get_api), has no undefined symbols from the runtime, and sits beside a copy
# of its manifest in <OUTPUT_DIR>/<name>/. With INSTALL_DIR, both are installed to
# <INSTALL_DIR>/<name>/<version>/ (the version read from the manifest), so that several versions of one
# plugin can be installed side by side.
# Used alike by DataFlex's own algorithms and by third-party plugin projects (find_package(DataFlexSDK)).
# TARGET names the CMake target (default dataflex_plugin_<name>); NO_SDK leaves the SDK headers out,
# for a build against another copy of the header (the ABI tests' frozen v1.0 copy).
function(dataflex_add_plugin name)
  cmake_parse_arguments(ARG "NO_SDK" "MANIFEST;OUTPUT_DIR;INSTALL_DIR;TARGET" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES OR NOT ARG_MANIFEST)
    message(FATAL_ERROR "dataflex_add_plugin(${name}): SOURCES and MANIFEST are required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    if(DATAFLEX_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIR "${DATAFLEX_PLUGIN_OUTPUT_DIR}")
    else()
      set(ARG_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins")
    endif()
  endif()
  set(target dataflex_plugin_${name})
  if(ARG_TARGET)
    set(target ${ARG_TARGET})
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET DataFlex::sdk AND NOT ARG_NO_SDK)
    target_link_libraries(${target} PRIVATE DataFlex::sdk)
  endif()
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME dataflex_${name}
    PREFIX lib
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/${name}")
  # --no-undefined: a plugin reaches the host only through the services table, never by symbol.
  # The version script keeps every other symbol (C++ runtime, inline functions) out of the table.
  target_link_options(${target} PRIVATE
    "LINKER:--no-undefined"
    "LINKER:--version-script=${DATAFLEX_PLUGIN_VERSION_SCRIPT}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${DATAFLEX_PLUGIN_VERSION_SCRIPT}")
  configure_file(${ARG_MANIFEST} "${ARG_OUTPUT_DIR}/${name}/plugin.toml" COPYONLY)
  if(ARG_INSTALL_DIR)
    file(STRINGS ${ARG_MANIFEST} version_line REGEX "^version *= *\"[^\"]+\"" LIMIT_COUNT 1)
    string(REGEX REPLACE "^version *= *\"([^\"]+)\".*" "\\1" version "${version_line}")
    if(NOT version)
      message(FATAL_ERROR "dataflex_add_plugin(${name}): ${ARG_MANIFEST} has no [plugin] version = \"X.Y.Z\"")
    endif()
    set(dest "${ARG_INSTALL_DIR}/${name}/${version}")
    install(TARGETS ${target} LIBRARY DESTINATION "${dest}" COMPONENT plugins)
    install(FILES "${ARG_OUTPUT_DIR}/${name}/plugin.toml" DESTINATION "${dest}" COMPONENT plugins)
  endif()
endfunction()
