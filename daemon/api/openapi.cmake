# Turns daemon/api/openapi.json into a C++ source holding its bytes, so the
# daemon serves exactly the document in the source tree without reading a
# file at run time. Run as `cmake -DINPUT=... -DOUTPUT=... -P openapi.cmake`.
# The text is written as a byte array (not a string literal), which has no
# length limit and needs no escaping; a terminating NUL is not included.
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "openapi.cmake needs -DINPUT=<json file> -DOUTPUT=<cpp file>")
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
if(size EQUAL 0)
  message(FATAL_ERROR "${INPUT} is empty")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from daemon/api/openapi.json by daemon/api/openapi.cmake; do not edit.\n"
  "#include <cstddef>\n\n"
  "namespace kryptod::daemon::api::detail {\n"
  "extern char const openapi_text[];\n"
  "extern std::size_t const openapi_size;\n"
  "char const openapi_text[] = {\n${bytes}};\n"
  "std::size_t const openapi_size = ${size};\n"
  "} // namespace kryptod::daemon::api::detail\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
