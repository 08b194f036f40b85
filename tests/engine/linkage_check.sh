#!/usr/bin/env bash
# linkage_check.sh BINARY: fails when BINARY (lunette-server) links a GUI library. The engine and
# the headless server must never depend on QtGui, QtWidgets, QtWebEngine, QtQuick or QtQml
# (STYLE.md rule 1); this catches a GUI dependency that sneaks in through a link line.
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 path/to/lunette-server" >&2
    exit 2
fi
binary="$1"
if [[ ! -x "$binary" ]]; then
    echo "linkage_check: '$binary' is not an executable file" >&2
    exit 2
fi

# ldd lists the whole dependency closure, so an indirect GUI dependency is caught too.
if ! libraries="$(ldd "$binary")"; then
    echo "linkage_check: ldd failed on '$binary'" >&2
    exit 2
fi
if ! grep -q 'libQt6Core' <<<"$libraries"; then
    echo "linkage_check: ldd shows no libQt6Core for '$binary'; cannot judge its linkage" >&2
    exit 2
fi

forbidden="$(grep -E 'libQt6(Gui|Widgets|WebEngine[A-Za-z]*|Quick[A-Za-z]*|Qml[A-Za-z]*)\.so' <<<"$libraries" || true)"
if [[ -n "$forbidden" ]]; then
    echo "FAIL: $binary links GUI libraries:" >&2
    echo "$forbidden" >&2
    exit 1
fi
echo "OK: $binary links no QtGui/QtWidgets/QtWebEngine/QtQuick/QtQml library"
