# Third-party packages. The engine needs only the headless Qt modules; the GUI modules are looked
# up only when LUNETTE_GUI is ON, so a machine without them can still build the engine and server.
find_package(Qt6 6.4 REQUIRED COMPONENTS Core Network WebSockets HttpServer)
if(LUNETTE_TESTS)
    find_package(Qt6 6.4 REQUIRED COMPONENTS Test)
endif()
if(LUNETTE_GUI)
    find_package(Qt6 6.4 REQUIRED COMPONENTS Gui Widgets WebEngineWidgets Qml Quick QuickWidgets QuickControls2)
endif()

find_package(PkgConfig REQUIRED)
# Debian's C++ build of Lua: lua_error unwinds with an exception, so C++ destructors on the way
# run (STYLE.md rule 6 holds even when a binding forgets it).
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4-c++)
# libarchive: the site archive inside a bundle (engine/package).
pkg_check_modules(ARCHIVE REQUIRED IMPORTED_TARGET libarchive)

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/rapidjson.h REQUIRED)
add_library(lunette_rapidjson INTERFACE)
target_include_directories(lunette_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(lunette_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1 RAPIDJSON_SSE2)
# clang's UBSan aborts inside rapidjson 1.1.0's own headers on every parse and write (a null
# pointer plus an offset in internal/stack.h, fixed upstream after 1.1.0): exempt those headers,
# only them, in every object that includes them. gcc's UBSan does not report it.
if(LUNETTE_ASAN AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(lunette_rapidjson INTERFACE
        "-fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/tests/sanitizers/ubsan-ignorelist.txt")
endif()
