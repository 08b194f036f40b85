import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The Sessions dock (GUI.md "Sessions"): one row per live session of the site. Clicking a row
// selects it, which drives the Variables and Console docks; the toolbar acts on the selected
// session (restart with a fresh Lua state, open in the external browser, close).
DockPane {
    id: root

    // SessionsModel: roles sessionId, shortId, connections, age, variableCount, lastActivity,
    // selected; selectedSessionId, count; select, restartSession, openInBrowser, closeSession.
    required property var sessions

    readonly property bool hasSelection: root.sessions.selectedSessionId !== ""
    readonly property int rowHeight: Math.ceil(fontInfo.height) + 2 * Theme.rowPadding + 4
    // Column widths: wide enough for the header and for typical values.
    readonly property int idWidth: Math.ceil(Math.max(headerFont.advanceWidth(qsTr("Session")), monoFont.advanceWidth("00000000"))) + 16
    readonly property int connectionsWidth: Math.ceil(headerFont.advanceWidth(qsTr("Connections"))) + 16
    readonly property int ageWidth: Math.ceil(Math.max(headerFont.advanceWidth(qsTr("Age")), fontInfo.advanceWidth("59m 59s"))) + 16
    readonly property int variablesWidth: Math.ceil(headerFont.advanceWidth(qsTr("Variables"))) + 16

    function selectRow(item) {
        if (item)
            root.sessions.select(item.sessionId);
    }

    implicitWidth: 520
    implicitHeight: 280

    FontMetrics {
        id: fontInfo
    }
    FontMetrics {
        id: headerFont
        font.bold: true
    }
    FontMetrics {
        id: monoFont
        font: Theme.mono
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
                spacing: 2

                ToolButton {
                    objectName: "sessionsRestart"
                    text: qsTr("Restart")
                    enabled: root.hasSelection
                    onClicked: root.sessions.restartSession(root.sessions.selectedSessionId)
                    ToolTip.text: qsTr("Restart the selected session with a fresh Lua state (its page reloads)")
                    ToolTip.visible: hovered
                    ToolTip.delay: 600
                }
                ToolButton {
                    objectName: "sessionsOpenBrowser"
                    text: qsTr("Open in Browser")
                    enabled: root.hasSelection
                    onClicked: root.sessions.openInBrowser(root.sessions.selectedSessionId)
                    ToolTip.text: qsTr("Open the selected session in the external browser (the link is copied too)")
                    ToolTip.visible: hovered
                    ToolTip.delay: 600
                }
                ToolButton {
                    objectName: "sessionsClose"
                    text: qsTr("Close")
                    enabled: root.hasSelection
                    onClicked: root.sessions.closeSession(root.sessions.selectedSessionId)
                    ToolTip.text: qsTr("End the selected session")
                    ToolTip.visible: hovered
                    ToolTip.delay: 600
                }
                Item {
                    Layout.fillWidth: true
                }
                Label {
                    color: Theme.dimText
                    text: root.sessions.count === 1 ? qsTr("1 session") : qsTr("%1 sessions").arg(root.sessions.count)
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.palette.base

            ListView {
                id: list
                objectName: "sessionsList"

                anchors.fill: parent
                clip: true
                model: root.sessions
                reuseItems: true
                boundsBehavior: Flickable.StopAtBounds
                keyNavigationEnabled: false
                activeFocusOnTab: true
                headerPositioning: ListView.OverlayHeader
                ScrollBar.vertical: ScrollBar {}

                Keys.onUpPressed: {
                    decrementCurrentIndex();
                    root.selectRow(currentItem);
                }
                Keys.onDownPressed: {
                    incrementCurrentIndex();
                    root.selectRow(currentItem);
                }

                header: Rectangle {
                    z: 2
                    width: list.width
                    height: root.rowHeight
                    color: Theme.headerBackground

                    Row {
                        anchors.fill: parent
                        leftPadding: 8

                        HeaderText {
                            width: root.idWidth
                            text: qsTr("Session")
                        }
                        HeaderText {
                            width: root.connectionsWidth
                            text: qsTr("Connections")
                        }
                        HeaderText {
                            width: root.ageWidth
                            text: qsTr("Age")
                        }
                        HeaderText {
                            width: root.variablesWidth
                            text: qsTr("Variables")
                        }
                        HeaderText {
                            text: qsTr("Last activity")
                        }
                    }
                    Rectangle {
                        anchors.bottom: parent.bottom
                        width: parent.width
                        height: 1
                        color: Theme.separator
                    }
                }

                delegate: Rectangle {
                    id: row

                    required property int index
                    required property string sessionId
                    required property string shortId
                    required property int connections
                    required property string age
                    required property int variableCount
                    required property string lastActivity
                    required property bool selected

                    readonly property color textColor: selected ? Theme.palette.highlightedText : Theme.text

                    width: list.width
                    height: root.rowHeight
                    color: selected ? Theme.palette.highlight : index % 2 ? Theme.palette.alternateBase : Theme.palette.base

                    // Keyboard moves start from the selected row.
                    onSelectedChanged: if (selected && index >= 0)
                        list.currentIndex = index
                    Component.onCompleted: if (selected)
                        list.currentIndex = index

                    Row {
                        anchors.fill: parent
                        leftPadding: 8

                        Text {
                            width: root.idWidth
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                            font: Theme.mono
                            color: row.textColor
                            text: row.shortId
                        }
                        Text {
                            width: root.connectionsWidth
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                            color: row.textColor
                            text: row.connections
                        }
                        Text {
                            width: root.ageWidth
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                            color: row.textColor
                            text: row.age
                        }
                        Text {
                            width: root.variablesWidth
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                            color: row.textColor
                            text: row.variableCount
                        }
                        Text {
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                            color: row.textColor
                            text: row.lastActivity
                        }
                    }

                    MouseArea {
                        anchors.fill: parent
                        onClicked: {
                            list.forceActiveFocus();
                            root.sessions.select(row.sessionId);
                        }
                    }
                }
            }
            Label {
                anchors.centerIn: parent
                width: parent.width - 32
                visible: list.count === 0
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                color: Theme.dimText
                text: qsTr("No session yet.\nOne starts when the site's page opens.")
            }
        }
    }
}
