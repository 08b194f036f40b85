#pragma once

// The app's preferences (GUI.md: port, timeouts, theme) and the dialog that edits them. Stored
// with QSettings under "Preferences/"; a site opened after a change uses the new values, the theme
// applies at once.

#include <QDialog>

class QComboBox;
class QCheckBox;
class QSpinBox;
class QSettings;

struct Preferences
{
    enum class Theme
    {
        System,
        Light,
        Dark
    };

    int port = 0; // the site's loopback port; 0 = any free port
    int luaTimeLimitSeconds = 5; // a single Lua call longer than this is stopped; 0 = never
    int idleSessionMinutes = 24 * 60; // a session without a page for this long ends; 0 = never
    Theme theme = Theme::System;
    bool hotload = true; // live editing when a site opens

    static Preferences load(const QSettings& settings);
    void save(QSettings& settings) const;

    bool operator==(const Preferences&) const = default;
};

// Sets the application palette: the platform's (System) or a fixed light or dark one.
void applyTheme(Preferences::Theme theme);

class PreferencesDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit PreferencesDialog(const Preferences& preferences, QWidget* parent = nullptr);
    Preferences preferences() const;

private:
    QSpinBox* m_port = nullptr;
    QSpinBox* m_timeLimit = nullptr;
    QSpinBox* m_idle = nullptr;
    QComboBox* m_theme = nullptr;
    QCheckBox* m_hotload = nullptr;
};
