import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The Variables dock (GUI.md "Variables"): the selected session's variable tree, live. A filter
// box and a flat/tree toggle over a list with one row per variable — id, path (indented by depth,
// with an expand arrow), type, value, change count, last compute time, watchers, access; errors
// in red. Hovering a row shows its full value and properties; the selected row's are shown under
// the list. Rows whose value just changed flash. The list may hold thousands of rows: delegates
// are fixed-height, reused, and bind only to their own roles.
DockPane {
    id: root

    // VariablesModel: roles varId, parentId, depth, hasChildren, expanded, path, type, value,
    // fullValue, properties, access, watchers, error, changeCount, computeTime, elementId,
    // selected, recentlyChanged; sessionId, filterText, flat, count, selectedId;
    // toggleExpanded(row), select(row).
    required property var variables

    // The selected row's details (kept by its delegate while it is in view).
    property string detailTitle: ""
    property string detailText: ""
    property string detailError: ""

    readonly property int rowHeight: Math.ceil(textFont.height) + 2 * Theme.rowPadding + 2
    readonly property int indent: Math.ceil(textFont.height * 0.75)
    readonly property int arrowWidth: Math.ceil(textFont.height * 0.75)
    // Fixed columns, measured once; path and value share what is left (and the list scrolls
    // sideways when the dock is narrower than their minimum).
    readonly property int idWidth: Math.ceil(Math.max(headerFont.advanceWidth(qsTr("Id")), monoFont.advanceWidth("-00000"))) + 12
    readonly property int typeWidth: Math.ceil(Math.max(headerFont.advanceWidth(qsTr("Type")), textFont.advanceWidth("ViewList"))) + 12
    readonly property int changesWidth: Math.ceil(headerFont.advanceWidth(qsTr("Changes"))) + 12
    readonly property int timeWidth: Math.ceil(Math.max(headerFont.advanceWidth(qsTr("Time")), textFont.advanceWidth("000.00ms"))) + 12
    readonly property int watchersWidth: Math.ceil(headerFont.advanceWidth(qsTr("Watchers"))) + 12
    readonly property int accessWidth: Math.ceil(Math.max(headerFont.advanceWidth(qsTr("Access")), textFont.advanceWidth("action"))) + 12
    readonly property int fixedWidth: 8 + idWidth + typeWidth + changesWidth + timeWidth + watchersWidth + accessWidth
    // A narrow dock keeps id, path, type and the start of the value in view.
    readonly property int minPathWidth: 200
    readonly property int minValueWidth: 140
    readonly property int rowWidth: Math.max(list.width, fixedWidth + minPathWidth + minValueWidth)
    readonly property int spare: rowWidth - fixedWidth - minPathWidth - minValueWidth
    readonly property int pathWidth: minPathWidth + Math.floor(spare * 0.4)
    readonly property int valueWidth: rowWidth - fixedWidth - pathWidth

    function showDetails(row) {
        const facts = ["id " + row.varId];
        if (row.type !== "")
            facts.push(row.type);
        facts.push(row.access);
        detailTitle = (row.path === "" ? qsTr("(root)") : row.path) + "   ·   " + facts.join(" · ");
        detailText = row.fullValue + (row.properties === "" ? "" : "\n\n" + row.properties);
        detailError = row.error;
    }
    function clearDetails() {
        detailTitle = "";
        detailText = "";
        detailError = "";
    }

    implicitWidth: 640
    implicitHeight: 320

    Connections {
        target: root.variables
        function onSelectedIdChanged() {
            if (!root.variables.selectedId)
                root.clearDetails();
        }
        function onSessionIdChanged() {
            root.clearDetails();
        }
    }

    FontMetrics {
        id: textFont
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
                spacing: 6

                TextField {
                    id: filterField
                    objectName: "variablesFilter"
                    Layout.fillWidth: true
                    placeholderText: qsTr("Filter by id, path, type or value…")
                    selectByMouse: true
                    text: root.variables.filterText
                    onTextEdited: root.variables.filterText = text
                    Keys.onEscapePressed: event => {
                        if (text === "") {
                            event.accepted = false;
                            return;
                        }
                        clear();
                        root.variables.filterText = "";
                    }
                }
                CheckBox {
                    objectName: "variablesFlat"
                    text: qsTr("Flat")
                    checked: root.variables.flat
                    onToggled: root.variables.flat = checked
                    ToolTip.text: qsTr("List every variable by id instead of as a tree")
                    ToolTip.visible: hovered
                    ToolTip.delay: 600
                }
                Label {
                    color: Theme.dimText
                    text: root.variables.count === 1 ? qsTr("1 variable") : qsTr("%1 variables").arg(root.variables.count)
                }
            }
        }

        SplitView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            orientation: Qt.Vertical

            Rectangle {
                SplitView.fillHeight: true
                SplitView.minimumHeight: root.rowHeight * 3
                color: Theme.palette.base

                ListView {
                    id: list
                    objectName: "variablesList"

                    anchors.fill: parent
                    clip: true
                    model: root.variables
                    reuseItems: true
                    contentWidth: root.rowWidth
                    flickableDirection: Flickable.AutoFlickIfNeeded
                    boundsBehavior: Flickable.StopAtBounds
                    headerPositioning: ListView.OverlayHeader
                    ScrollBar.vertical: ScrollBar {}
                    ScrollBar.horizontal: ScrollBar {}

                    // The keyboard walks the selection (currentIndex follows the selected row) and
                    // folds the tree.
                    keyNavigationEnabled: false
                    activeFocusOnTab: true
                    Keys.onUpPressed: root.variables.select(Math.max(0, currentIndex - 1))
                    Keys.onDownPressed: root.variables.select(Math.min(count - 1, currentIndex + 1))
                    Keys.onLeftPressed: if (rowAt(currentItem, "hasChildren") && rowAt(currentItem, "expanded"))
                        root.variables.toggleExpanded(currentIndex)
                    Keys.onRightPressed: if (rowAt(currentItem, "hasChildren") && !rowAt(currentItem, "expanded"))
                        root.variables.toggleExpanded(currentIndex)

                    // A role of a delegate (currentItem is typed Item: its roles are looked up by name).
                    function rowAt(item: Item, role: string): bool {
                        return item !== null && item[role] === true;
                    }

                    header: Rectangle {
                        z: 2
                        width: root.rowWidth
                        height: root.rowHeight
                        color: Theme.headerBackground

                        Row {
                            anchors.fill: parent
                            leftPadding: 8

                            HeaderText {
                                width: root.idWidth
                                text: qsTr("Id")
                            }
                            HeaderText {
                                width: root.pathWidth
                                leftPadding: root.arrowWidth
                                text: qsTr("Path")
                            }
                            HeaderText {
                                width: root.typeWidth
                                text: qsTr("Type")
                            }
                            HeaderText {
                                width: root.valueWidth
                                text: qsTr("Value")
                            }
                            HeaderText {
                                width: root.changesWidth
                                rightPadding: 12
                                horizontalAlignment: Text.AlignRight
                                text: qsTr("Changes")
                            }
                            HeaderText {
                                width: root.timeWidth
                                rightPadding: 12
                                horizontalAlignment: Text.AlignRight
                                text: qsTr("Time")
                            }
                            HeaderText {
                                width: root.watchersWidth
                                rightPadding: 12
                                horizontalAlignment: Text.AlignRight
                                text: qsTr("Watchers")
                            }
                            HeaderText {
                                width: root.accessWidth
                                text: qsTr("Access")
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
                        required property var varId
                        required property int depth
                        required property bool hasChildren
                        required property bool expanded
                        required property string path
                        required property string type
                        required property string value
                        required property string fullValue
                        required property string properties
                        required property string access
                        required property int watchers
                        required property string error
                        required property var changeCount
                        required property string computeTime
                        required property bool selected
                        required property bool recentlyChanged

                        readonly property color textColor: selected ? Theme.palette.highlightedText : Theme.text
                        readonly property color dimColor: selected ? Theme.palette.highlightedText : Theme.dimText

                        function flash() {
                            flashAnimation.restart();
                        }

                        width: root.rowWidth
                        height: root.rowHeight
                        color: selected ? Theme.palette.highlight : index % 2 ? Theme.palette.alternateBase : Theme.palette.base

                        // The details pane follows the selected row's live data.
                        onSelectedChanged: if (selected) {
                            root.showDetails(row);
                            if (index >= 0)
                                list.currentIndex = index;
                        }
                        onFullValueChanged: if (selected)
                            root.showDetails(row)
                        onPropertiesChanged: if (selected)
                            root.showDetails(row)
                        onErrorChanged: if (selected)
                            root.showDetails(row)
                        onRecentlyChangedChanged: if (recentlyChanged)
                            flash()
                        onChangeCountChanged: if (recentlyChanged)
                            flash()
                        Component.onCompleted: if (selected) {
                            root.showDetails(row);
                            list.currentIndex = index;
                        }
                        // A delegate taken from the pool shows another row: no stale flash.
                        ListView.onReused: {
                            flashAnimation.stop();
                            flashRect.opacity = 0;
                        }

                        Rectangle {
                            id: flashRect
                            objectName: "variablesFlash"
                            anchors.fill: parent
                            color: Theme.flash
                            opacity: 0

                            NumberAnimation {
                                id: flashAnimation
                                target: flashRect
                                property: "opacity"
                                from: 0.9
                                to: 0
                                duration: 900
                                easing.type: Easing.InQuad
                            }
                        }

                        MouseArea {
                            id: rowMouse
                            anchors.fill: parent
                            hoverEnabled: true
                            acceptedButtons: Qt.LeftButton
                            onClicked: {
                                list.forceActiveFocus();
                                root.variables.select(row.index);
                            }
                            onDoubleClicked: if (row.hasChildren)
                                root.variables.toggleExpanded(row.index)

                            ToolTip.visible: containsMouse && !pressed
                            ToolTip.delay: 700
                            ToolTip.timeout: 20000
                            ToolTip.text: containsMouse ? (row.error !== "" ? row.error + "\n\n" : "") + row.fullValue + (row.properties === "" ? "" : "\n\n" + row.properties) : ""
                        }

                        Row {
                            anchors.fill: parent
                            leftPadding: 8

                            Text {
                                width: root.idWidth
                                height: parent.height
                                verticalAlignment: Text.AlignVCenter
                                font: Theme.mono
                                color: row.dimColor
                                text: row.varId
                            }
                            Item {
                                width: root.pathWidth
                                height: parent.height

                                Text {
                                    id: arrow
                                    objectName: "variablesArrow"
                                    x: row.depth * root.indent
                                    width: root.arrowWidth
                                    height: parent.height
                                    horizontalAlignment: Text.AlignHCenter
                                    verticalAlignment: Text.AlignVCenter
                                    visible: row.hasChildren
                                    color: row.dimColor
                                    text: row.expanded ? "▾" : "▸"

                                    MouseArea {
                                        anchors.fill: parent
                                        anchors.margins: -2
                                        onClicked: root.variables.toggleExpanded(row.index)
                                    }
                                }
                                Text {
                                    x: arrow.x + arrow.width + 2
                                    width: parent.width - x - 6
                                    height: parent.height
                                    verticalAlignment: Text.AlignVCenter
                                    elide: Text.ElideRight
                                    font.italic: row.path === ""
                                    color: row.path === "" ? row.dimColor : row.textColor
                                    // The session's root variable (the app) has no path.
                                    text: row.path === "" ? qsTr("(root)") : row.path
                                }
                            }
                            Text {
                                width: root.typeWidth
                                height: parent.height
                                rightPadding: 6
                                verticalAlignment: Text.AlignVCenter
                                elide: Text.ElideRight
                                color: row.dimColor
                                text: row.type
                            }
                            Text {
                                width: root.valueWidth
                                height: parent.height
                                rightPadding: 6
                                verticalAlignment: Text.AlignVCenter
                                elide: Text.ElideRight
                                textFormat: Text.PlainText
                                font: Theme.mono
                                color: row.error !== "" ? (row.selected ? Theme.palette.highlightedText : Theme.error) : row.textColor
                                text: row.error !== "" ? "⚠ " + row.error : row.value
                            }
                            Text {
                                width: root.changesWidth
                                height: parent.height
                                rightPadding: 12
                                horizontalAlignment: Text.AlignRight
                                verticalAlignment: Text.AlignVCenter
                                color: row.dimColor
                                text: row.changeCount
                            }
                            Text {
                                width: root.timeWidth
                                height: parent.height
                                rightPadding: 12
                                horizontalAlignment: Text.AlignRight
                                verticalAlignment: Text.AlignVCenter
                                color: row.dimColor
                                text: row.computeTime
                            }
                            Text {
                                width: root.watchersWidth
                                height: parent.height
                                rightPadding: 12
                                horizontalAlignment: Text.AlignRight
                                verticalAlignment: Text.AlignVCenter
                                color: row.dimColor
                                text: row.watchers
                            }
                            Text {
                                width: root.accessWidth
                                height: parent.height
                                verticalAlignment: Text.AlignVCenter
                                color: row.dimColor
                                text: row.access
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
                    text: root.variables.sessionId === "" ? qsTr("No session selected.") : root.variables.filterText !== "" ? qsTr("No variable matches the filter.") : qsTr("This session has no variables yet.")
                }
            }

            // The selected variable: its full value (pretty JSON), properties and error.
            Pane {
                objectName: "variablesDetails"
                SplitView.preferredHeight: Math.max(root.rowHeight * 5, root.height * 0.3)
                SplitView.minimumHeight: root.rowHeight * 2
                visible: root.detailTitle !== ""
                padding: 6

                ColumnLayout {
                    anchors.fill: parent
                    spacing: 4

                    Label {
                        Layout.fillWidth: true
                        elide: Text.ElideMiddle
                        font.bold: true
                        text: root.detailTitle
                    }
                    Label {
                        Layout.fillWidth: true
                        visible: root.detailError !== ""
                        wrapMode: Text.Wrap
                        color: Theme.error
                        text: root.detailError
                    }
                    ScrollView {
                        Layout.fillWidth: true
                        Layout.fillHeight: true

                        TextArea {
                            readOnly: true
                            selectByMouse: true
                            wrapMode: TextEdit.NoWrap
                            textFormat: TextEdit.PlainText
                            font: Theme.mono
                            text: root.detailText
                        }
                    }
                }
            }
        }
    }
}
