import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The Log dock (GUI.md "Log"): engine and Lua log lines, newest last, filtered by level and a
// search text; a line naming a Lua position shows it as a file:line link that asks the window to
// open the file. Follows the end while the view is scrolled to the bottom.
DockPane {
    id: root

    // LogFilterModel: roles time, level, source, text, file, line; minimumLevel, search,
    // activate(row).
    required property var log

    readonly property var levelNames: ["DEBUG", "INFO", "WARN", "ERROR"]

    implicitWidth: 520
    implicitHeight: 280

    // Column widths, measured once: time and level in the fixed-width font, the source wide
    // enough for "session 1a2b3c4d" (longer ones are elided).
    readonly property real timeWidth: Math.ceil(monoFont.advanceWidth("00:00:00.000"))
    readonly property real levelWidth: Math.ceil(monoFont.advanceWidth("ERROR"))
    readonly property real sourceWidth: Math.ceil(textFont.advanceWidth("session 00000000"))

    FontMetrics {
        id: monoFont
        font: Theme.mono
    }
    FontMetrics {
        id: textFont
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ToolBar {
            Layout.fillWidth: true

            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 4
                anchors.rightMargin: 4
                spacing: 6

                ComboBox {
                    id: levelBox
                    objectName: "logLevel"
                    model: [qsTr("Debug"), qsTr("Info"), qsTr("Warning"), qsTr("Error")]
                    currentIndex: root.log.minimumLevel
                    onActivated: index => root.log.minimumLevel = index
                    ToolTip.text: qsTr("Lowest level shown")
                    ToolTip.visible: hovered
                    ToolTip.delay: 600
                }
                TextField {
                    id: searchField
                    objectName: "logSearch"
                    Layout.fillWidth: true
                    placeholderText: qsTr("Search log…")
                    selectByMouse: true
                    text: root.log.search
                    onTextEdited: root.log.search = text
                    Keys.onEscapePressed: event => {
                        if (text === "") {
                            event.accepted = false;
                            return;
                        }
                        clear();
                        root.log.search = "";
                    }
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.palette.base

            ListView {
                id: list
                objectName: "logList"

                // Stay at the end as lines arrive, unless the user scrolled up to read.
                property bool follow: true

                anchors.fill: parent
                clip: true
                model: root.log
                reuseItems: true
                boundsBehavior: Flickable.StopAtBounds
                ScrollBar.vertical: ScrollBar {
                    id: vbar
                    onPressedChanged: if (!pressed)
                        list.follow = list.atYEnd
                }

                onMovementEnded: follow = atYEnd
                onCountChanged: if (follow)
                    positionViewAtEnd()
                onHeightChanged: if (follow)
                    positionViewAtEnd()

                delegate: Rectangle {
                    id: entry

                    required property int index
                    required property date time
                    required property int level
                    required property string source
                    required property string text
                    required property string file
                    required property int line

                    width: list.width
                    implicitHeight: Math.max(message.implicitHeight, timeLabel.implicitHeight) + 2 * Theme.rowPadding
                    color: index % 2 ? Theme.palette.alternateBase : Theme.palette.base

                    Text {
                        id: timeLabel
                        x: 6
                        y: Theme.rowPadding
                        width: root.timeWidth
                        font: Theme.mono
                        color: Theme.dimText
                        text: Qt.formatTime(entry.time, "hh:mm:ss.zzz")
                    }
                    Text {
                        id: levelLabel
                        x: timeLabel.x + timeLabel.width + 8
                        y: Theme.rowPadding
                        width: root.levelWidth
                        font.family: Theme.mono.family
                        font.pointSize: Theme.mono.pointSize
                        font.bold: entry.level >= 2
                        color: entry.level === 3 ? Theme.error : entry.level === 2 ? Theme.warning : Theme.dimText
                        text: root.levelNames[entry.level] ?? ""
                    }
                    Text {
                        id: sourceLabel
                        x: levelLabel.x + levelLabel.width + 8
                        y: Theme.rowPadding
                        width: root.sourceWidth
                        elide: Text.ElideRight
                        color: Theme.dimText
                        text: entry.source
                    }
                    TextEdit {
                        id: message
                        x: sourceLabel.x + sourceLabel.width + 8
                        y: Theme.rowPadding
                        width: location.x - x - 8
                        readOnly: true
                        selectByMouse: true
                        selectionColor: Theme.palette.highlight
                        selectedTextColor: Theme.palette.highlightedText
                        wrapMode: TextEdit.Wrap
                        textFormat: TextEdit.PlainText
                        color: entry.level === 3 ? Theme.error : Theme.text
                        // Tracebacks indent with tabs, which would widen to the default tab stops.
                        text: entry.text.replace(/\t/g, "    ")
                    }
                    Text {
                        id: location
                        objectName: "logLocation"
                        x: entry.width - width - 6
                        y: Theme.rowPadding
                        width: entry.file === "" ? 0 : Math.min(implicitWidth, entry.width / 3)
                        visible: entry.file !== ""
                        elide: Text.ElideLeft
                        color: Theme.link
                        font.underline: locationMouse.containsMouse
                        text: entry.file === "" ? "" : entry.file + ":" + entry.line

                        MouseArea {
                            id: locationMouse
                            anchors.fill: parent
                            hoverEnabled: true
                            cursorShape: Qt.PointingHandCursor
                            onClicked: root.log.activate(entry.index)
                        }
                    }
                }
            }
            Label {
                anchors.centerIn: parent
                visible: list.count === 0
                color: Theme.dimText
                text: root.log.search === "" && root.log.minimumLevel === 0 ? qsTr("No log lines yet") : qsTr("No line matches")
            }
        }
    }
}
