# lunette_common: the one INTERFACE target every Lunette target links. It carries the language
# standard, the warning set and Qt's safety macros (the idea of qBittorrent's CommonConfig.cmake).
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(CMAKE_AUTOMOC ON)

add_library(lunette_common INTERFACE)
target_compile_features(lunette_common INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

target_compile_options(lunette_common INTERFACE -Wall -Wextra -Wpedantic
    $<$<BOOL:${LUNETTE_WERROR}>:-Werror>)
target_compile_definitions(lunette_common INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_USE_QSTRINGBUILDER
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_FOREACH
    QT_STRICT_ITERATORS
    $<$<OR:$<CONFIG:Debug>,$<BOOL:${LUNETTE_ASAN}>,$<BOOL:${LUNETTE_TSAN}>>:LUNETTE_DEBUG>
    LUNETTE_VERSION="${PROJECT_VERSION}")

if(LUNETTE_ASAN)
    target_compile_options(lunette_common INTERFACE -fsanitize=address,undefined
        -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(lunette_common INTERFACE -fsanitize=address,undefined)
endif()
if(LUNETTE_FUZZ)
    # Coverage instrumentation for libFuzzer in every Lunette object; only the fuzz targets link
    # libFuzzer itself (-fsanitize=fuzzer, tests/fuzz).
    target_compile_options(lunette_common INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(LUNETTE_TSAN)
    target_compile_options(lunette_common INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(lunette_common INTERFACE -fsanitize=thread)
endif()
