#include "Preferences.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QPalette>
#include <QSettings>
#include <QSpinBox>
#include <QStyle>

using namespace Qt::StringLiterals;

namespace {

constexpr QLatin1StringView kPort("Preferences/port");
constexpr QLatin1StringView kTimeLimit("Preferences/luaTimeLimitSeconds");
constexpr QLatin1StringView kIdle("Preferences/idleSessionMinutes");
constexpr QLatin1StringView kTheme("Preferences/theme");
constexpr QLatin1StringView kHotload("Preferences/hotload");

QString themeName(Preferences::Theme theme)
{
    switch (theme) {
    case Preferences::Theme::Light:
        return u"light"_s;
    case Preferences::Theme::Dark:
        return u"dark"_s;
    case Preferences::Theme::System:
        break;
    }
    return u"system"_s;
}

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x33), base(0x1e, 0x1f, 0x24), text(0xe8, 0xea, 0xef);
    const QColor disabledText(0x80, 0x84, 0x8c), highlight(0x3d, 0x7b, 0xe0);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabledText);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x7a, 0xb0, 0xff));
    p.setColor(QPalette::Light, window.lighter(130));
    p.setColor(QPalette::Midlight, window.lighter(115));
    p.setColor(QPalette::Mid, window.darker(120));
    p.setColor(QPalette::Dark, window.darker(150));
    p.setColor(QPalette::Shadow, Qt::black);
    for (const auto role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
        p.setColor(QPalette::Disabled, role, disabledText);
    return p;
}

} // namespace

Preferences Preferences::load(const QSettings& settings)
{
    Preferences p;
    p.port = std::clamp(settings.value(kPort, p.port).toInt(), 0, 65535);
    p.luaTimeLimitSeconds
        = std::clamp(settings.value(kTimeLimit, p.luaTimeLimitSeconds).toInt(), 0, 3600);
    p.idleSessionMinutes
        = std::clamp(settings.value(kIdle, p.idleSessionMinutes).toInt(), 0, 7 * 24 * 60);
    const QString theme = settings.value(kTheme).toString();
    p.theme = theme == u"light"_s ? Theme::Light : theme == u"dark"_s ? Theme::Dark : Theme::System;
    p.hotload = settings.value(kHotload, p.hotload).toBool();
    return p;
}

void Preferences::save(QSettings& settings) const
{
    settings.setValue(kPort, port);
    settings.setValue(kTimeLimit, luaTimeLimitSeconds);
    settings.setValue(kIdle, idleSessionMinutes);
    settings.setValue(kTheme, themeName(theme));
    settings.setValue(kHotload, hotload);
}

void applyTheme(Preferences::Theme theme)
{
    switch (theme) {
    case Preferences::Theme::System:
        QApplication::setPalette(QPalette()); // back to the platform theme's palette
        break;
    case Preferences::Theme::Light:
        QApplication::setPalette(QApplication::style()->standardPalette());
        break;
    case Preferences::Theme::Dark:
        QApplication::setPalette(darkPalette());
        break;
    }
}

PreferencesDialog::PreferencesDialog(const Preferences& preferences, QWidget* parent)
    : QDialog(parent)
    , m_port(new QSpinBox(this))
    , m_timeLimit(new QSpinBox(this))
    , m_idle(new QSpinBox(this))
    , m_theme(new QComboBox(this))
    , m_hotload(new QCheckBox(tr("Reload edited files while the site runs"), this))
{
    setWindowTitle(tr("Preferences"));
    setObjectName(u"preferencesDialog"_s);

    m_port->setObjectName(u"port"_s);
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("Any free port"));
    m_port->setValue(preferences.port);
    m_timeLimit->setObjectName(u"luaTimeLimit"_s);
    m_timeLimit->setRange(0, 3600);
    m_timeLimit->setSuffix(tr(" s"));
    m_timeLimit->setSpecialValueText(tr("No limit"));
    m_timeLimit->setValue(preferences.luaTimeLimitSeconds);
    m_idle->setObjectName(u"idleSession"_s);
    m_idle->setRange(0, 7 * 24 * 60);
    m_idle->setSuffix(tr(" min"));
    m_idle->setSpecialValueText(tr("Never"));
    m_idle->setValue(preferences.idleSessionMinutes);
    m_theme->setObjectName(u"theme"_s);
    m_theme->addItem(tr("Follow the system"), int(Preferences::Theme::System));
    m_theme->addItem(tr("Light"), int(Preferences::Theme::Light));
    m_theme->addItem(tr("Dark"), int(Preferences::Theme::Dark));
    m_theme->setCurrentIndex(m_theme->findData(int(preferences.theme)));
    m_hotload->setObjectName(u"hotload"_s);
    m_hotload->setChecked(preferences.hotload);

    auto* form = new QFormLayout(this);
    form->addRow(tr("Server port:"), m_port);
    form->addRow(tr("Lua time limit:"), m_timeLimit);
    form->addRow(tr("End idle sessions after:"), m_idle);
    form->addRow(tr("Theme:"), m_theme);
    form->addRow(tr("Hot reload:"), m_hotload);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

Preferences PreferencesDialog::preferences() const
{
    Preferences p;
    p.port = m_port->value();
    p.luaTimeLimitSeconds = m_timeLimit->value();
    p.idleSessionMinutes = m_idle->value();
    p.theme = static_cast<Preferences::Theme>(m_theme->currentData().toInt());
    p.hotload = m_hotload->isChecked();
    return p;
}
