# Warnings live in an INTERFACE target linked PRIVATE, so consumers never inherit them.
add_library(costops_warnings INTERFACE)
target_compile_options(costops_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>>  # GCC 12 false positive in std::string (GCC PR105329)
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${COSTOPS_WERROR}>>:-Werror>)
