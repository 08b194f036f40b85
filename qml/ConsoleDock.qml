import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The Console dock (GUI.md "Console"): a Lua REPL in the selected session. The transcript shows
// inputs (dim, with their prompt), results, print output (gray) and errors (red, traceback
// underneath), and follows the end. The input line shows the model's prompt ("> ", ">> " while a
// statement continues): Enter submits, Up/Down walk the history, Tab completes (candidates shown
// when there are several), Escape or Ctrl+C drop an unfinished statement. The input keeps the
// focus after a submission.
DockPane {
    id: root

    // ConsoleModel: roles kind, text, traceback; sessionId, busy, continuing, prompt, count;
    // submit, cancelContinuation, clear, historyUp, historyDown, complete → completed(...).
    // Named as the brief asks; always qualified as root.console, which shadows JS's console.
    required property var console

    function submitInput() {
        const line = input.text;
        input.clear();
        candidatesPanel.candidates = [];
        root.console.submit(line);
        input.forceActiveFocus();
    }
    // Drops the unfinished statement (or what is typed) and any completion shown.
    function cancelInput() {
        candidatesPanel.candidates = [];
        if (root.console.continuing)
            root.console.cancelContinuation();
        input.clear();
    }
    function requestCompletion() {
        root.console.complete(input.text.substring(0, input.cursorPosition));
    }

    implicitWidth: 560
    implicitHeight: 300

    Connections {
        target: root.console

        // text: what was asked for (the input up to the cursor); a reply to an older request or
        // to text edited since is dropped.
        function onCompleted(text, candidates, completedText) {
            const before = input.text.substring(0, input.cursorPosition);
            if (before !== text)
                return;
            const after = input.text.substring(input.cursorPosition);
            input.text = completedText + after;
            input.cursorPosition = completedText.length;
            candidatesPanel.typed = completedText;
            candidatesPanel.candidates = candidates.length > 1 ? candidates : [];
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.palette.base

            ListView {
                id: transcript
                objectName: "consoleTranscript"

                anchors.fill: parent
                anchors.leftMargin: 6
                anchors.rightMargin: 2
                clip: true
                model: root.console
                reuseItems: true
                boundsBehavior: Flickable.StopAtBounds
                ScrollBar.vertical: ScrollBar {}

                onCountChanged: positionViewAtEnd()
                onHeightChanged: positionViewAtEnd()

                delegate: Column {
                    id: entry

                    required property string kind
                    required property string text
                    required property string traceback

                    width: transcript.width - 10
                    topPadding: kind === "input" ? 4 : 0

                    TextEdit {
                        width: parent.width
                        readOnly: true
                        selectByMouse: true
                        wrapMode: TextEdit.WrapAtWordBoundaryOrAnywhere
                        textFormat: TextEdit.PlainText
                        font: Theme.mono
                        selectionColor: Theme.palette.highlight
                        selectedTextColor: Theme.palette.highlightedText
                        color: entry.kind === "error" ? Theme.error : entry.kind === "input" ? Theme.dimText : entry.kind === "output" ? Theme.outputText : Theme.text
                        text: entry.text
                    }
                    TextEdit {
                        width: parent.width
                        visible: entry.traceback !== ""
                        leftPadding: 16
                        readOnly: true
                        selectByMouse: true
                        wrapMode: TextEdit.WrapAtWordBoundaryOrAnywhere
                        textFormat: TextEdit.PlainText
                        font.family: Theme.mono.family
                        font.pointSize: Math.max(1, Theme.mono.pointSize - 1)
                        selectionColor: Theme.palette.highlight
                        selectedTextColor: Theme.palette.highlightedText
                        color: Theme.errorDim
                        text: entry.traceback.replace(/\t/g, "    ")
                    }
                }
            }

            // A click beside the text gives the focus back to the input line.
            TapHandler {
                onTapped: input.forceActiveFocus()
            }

            Label {
                anchors.centerIn: parent
                width: parent.width - 32
                visible: transcript.count === 0
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                color: Theme.dimText
                text: root.console.sessionId === "" ? qsTr("No session selected.") : qsTr("Lua in the selected session. Type an expression or a statement; Tab completes.")
            }
        }

        // Completions when Tab found several: the names, clickable.
        Rectangle {
            id: candidatesPanel
            objectName: "consoleCandidates"

            // Whole input texts, each with the name completed (ConsoleModel.completed).
            property var candidates: []
            // The input they complete (the name being typed starts after its last non-name
            // character): only the names are shown.
            property string typed: ""
            readonly property int nameStart: typed.search(/[A-Za-z0-9_]*$/)
            readonly property int shownLimit: 200

            Layout.fillWidth: true
            implicitHeight: candidateFlow.implicitHeight + 8
            visible: candidates.length > 1
            color: Theme.palette.alternateBase

            Rectangle {
                width: parent.width
                height: 1
                color: Theme.separator
            }
            Flow {
                id: candidateFlow
                anchors.fill: parent
                anchors.margins: 4
                anchors.leftMargin: 8
                spacing: 14

                Repeater {
                    model: candidatesPanel.candidates.slice(0, candidatesPanel.shownLimit)

                    delegate: Text {
                        required property string modelData

                        font: Theme.mono
                        color: Theme.link
                        text: modelData.substring(candidatesPanel.nameStart)

                        MouseArea {
                            anchors.fill: parent
                            cursorShape: Qt.PointingHandCursor
                            onClicked: {
                                input.text = parent.modelData;
                                candidatesPanel.candidates = [];
                                input.forceActiveFocus();
                            }
                        }
                    }
                }
                Text {
                    visible: candidatesPanel.candidates.length > candidatesPanel.shownLimit
                    color: Theme.dimText
                    text: qsTr("… %1 more").arg(candidatesPanel.candidates.length - candidatesPanel.shownLimit)
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            height: 1
            color: Theme.separator
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 6
            Layout.rightMargin: 4
            Layout.topMargin: 2
            Layout.bottomMargin: 2
            spacing: 2

            Label {
                objectName: "consolePrompt"
                font: Theme.mono
                color: Theme.dimText
                text: root.console.prompt
            }
            TextField {
                id: input
                objectName: "consoleInput"

                Layout.fillWidth: true
                focus: true
                font: Theme.mono
                selectByMouse: true
                placeholderText: root.console.sessionId === "" ? qsTr("No session") : ""
                background: null
                leftPadding: 2

                onAccepted: root.submitInput()
                onTextEdited: candidatesPanel.candidates = []

                Keys.onUpPressed: text = root.console.historyUp(text)
                Keys.onDownPressed: text = root.console.historyDown(text)
                Keys.onTabPressed: root.requestCompletion()
                Keys.onEscapePressed: event => {
                    if (candidatesPanel.candidates.length > 0)
                        candidatesPanel.candidates = [];
                    else if (root.console.continuing || text !== "")
                        root.cancelInput();
                    else
                        event.accepted = false;
                }
                Keys.onPressed: event => {
                    // Ctrl+C copies a selection, else it drops the statement being typed (a shell's
                    // interrupt).
                    if (event.key === Qt.Key_C && (event.modifiers & Qt.ControlModifier) && selectedText === "") {
                        root.cancelInput();
                        event.accepted = true;
                    }
                }
            }
            BusyIndicator {
                objectName: "consoleBusy"
                Layout.preferredWidth: input.implicitHeight - 4
                Layout.preferredHeight: input.implicitHeight - 4
                running: root.console.busy
                visible: running
            }
            ToolButton {
                text: qsTr("Clear")
                focusPolicy: Qt.NoFocus
                onClicked: {
                    root.console.clear();
                    input.forceActiveFocus();
                }
                ToolTip.text: qsTr("Clear the transcript")
                ToolTip.visible: hovered
                ToolTip.delay: 600
            }
        }
    }
}
