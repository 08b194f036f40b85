import QtQuick
import QtQuick.Controls

// The root of every dock: a Pane whose controls take their colours from the application palette
// (Theme), as the widgets around them do, and follow it when it changes. Qt 6.4's Fusion style
// alone follows only the platform theme's palette, so a light or dark palette the app sets
// (Preferences → theme) would not reach the docks' buttons and fields.
Pane {
    id: pane

    function applyPalette() {
        const roles = ["window", "windowText", "base", "alternateBase", "text", "button", "buttonText", "highlight", "highlightedText", "light", "midlight", "mid", "dark", "shadow", "placeholderText"];
        for (const role of roles) {
            pane.palette.active[role] = Theme.palette[role];
            pane.palette.inactive[role] = Theme.inactivePalette[role];
            pane.palette.disabled[role] = Theme.disabledPalette[role];
        }
    }

    padding: 0
    Component.onCompleted: applyPalette()

    Connections {
        target: Theme.palette
        function onPaletteChanged() {
            pane.applyPalette();
        }
    }
}
