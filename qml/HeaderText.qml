import QtQuick

// A column title of a dock's list header.
Text {
    height: parent ? parent.height : implicitHeight
    verticalAlignment: Text.AlignVCenter
    elide: Text.ElideRight
    font.bold: true
    color: Theme.palette.buttonText
}
