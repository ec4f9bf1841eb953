# clearbox_module(NAME DEPS <other modules> LIBS <imported targets>)
#   Builds src/<NAME>/*.cc (minus *_test.cc, *_benchmark.cc) into an object library
#   clearbox_<NAME>, and src/<NAME>/*_test.cc into one test binary <NAME>_test.
#   Files are globbed, so adding a source file needs no CMake edit.
function(clearbox_module name)
  cmake_parse_arguments(M "" "" "DEPS;LIBS;TEST_LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cc
                                     ${CMAKE_CURRENT_SOURCE_DIR}/${name}/internal/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_(test|benchmark)\\.cc$")
  if(NOT srcs)  # a module whose first source has not landed yet
    set(srcs ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.cc)
    file(WRITE ${srcs} "// no sources yet\n")
  endif()
  add_library(clearbox_${name} STATIC ${srcs})
  target_include_directories(clearbox_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                              PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  set(deps)
  foreach(d IN LISTS M_DEPS)
    list(APPEND deps clearbox_${d})
  endforeach()
  target_link_libraries(clearbox_${name} PUBLIC ${deps} ${M_LIBS})
  set_property(GLOBAL APPEND PROPERTY CLEARBOX_MODULES clearbox_${name})

  if(CLEARBOX_BUILD_TESTS)
    file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*_test.cc)
    if(tests)
      add_executable(${name}_test ${tests})
      target_include_directories(${name}_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
      target_link_libraries(${name}_test PRIVATE clearbox_${name} ${M_TEST_LIBS}
                            GTest::gmock GTest::gtest_main)
      target_compile_definitions(${name}_test PRIVATE
        CLEARBOX_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared"
        CLEARBOX_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        CLEARBOX_BINARY_DIR="${PROJECT_BINARY_DIR}")
      add_test(NAME ${name}_test COMMAND ${name}_test)
      set_tests_properties(${name}_test PROPERTIES LABELS "unit;${name}")
    endif()
  endif()

  if(CLEARBOX_BUILD_BENCHMARKS)
    file(GLOB benches CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*_benchmark.cc)
    foreach(b IN LISTS benches)
      get_filename_component(bn ${b} NAME_WE)
      add_executable(${bn} ${b})
      target_link_libraries(${bn} PRIVATE clearbox_${name} benchmark::benchmark)
    endforeach()
  endif()
endfunction()
