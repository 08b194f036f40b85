pragma Singleton
import QtQuick

// Colours and fonts the docks share, derived from the application palette so they read well in
// the system's light and dark themes (the Fusion controls follow the same palette).
QtObject {
    readonly property SystemPalette palette: SystemPalette {
        colorGroup: SystemPalette.Active
    }
    readonly property SystemPalette inactivePalette: SystemPalette {
        colorGroup: SystemPalette.Inactive
    }
    readonly property SystemPalette disabledPalette: SystemPalette {
        colorGroup: SystemPalette.Disabled
    }
    readonly property bool dark: palette.window.hslLightness < 0.5

    readonly property color text: palette.text
    readonly property color dimText: Qt.rgba(palette.text.r, palette.text.g, palette.text.b, 0.62)
    readonly property color outputText: Qt.rgba(palette.text.r, palette.text.g, palette.text.b, 0.72)
    readonly property color error: dark ? "#ff7b72" : "#c62828"
    readonly property color errorDim: dark ? "#d98a84" : "#a85050"
    readonly property color warning: dark ? "#e3b341" : "#9a6700"
    readonly property color link: dark ? "#58a6ff" : "#0b57d0"
    readonly property color flash: dark ? "#806b1a" : "#ffe680"
    readonly property color separator: Qt.rgba(palette.text.r, palette.text.g, palette.text.b, 0.12)
    readonly property color headerBackground: palette.button

    // The platform's fixed-width face ("monospace" is fontconfig's alias for it).
    readonly property font mono: Qt.font({
        family: Qt.platform.os === "windows" ? "Consolas" : Qt.platform.os === "osx" ? "Menlo" : "monospace"
    })
    readonly property int rowPadding: 3
}
