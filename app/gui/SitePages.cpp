#include "SitePages.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace {

QLabel* headline(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.8);
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    label->setWordWrap(true);
    return label;
}

// The page's content in a centred column of readable width.
QVBoxLayout* centredColumn(QWidget* page)
{
    auto* outer = new QHBoxLayout(page);
    auto* column = new QVBoxLayout;
    column->setSpacing(12);
    auto* holder = new QWidget(page);
    holder->setLayout(column);
    holder->setMaximumWidth(640);
    outer->addStretch(1);
    outer->addWidget(holder, 4);
    outer->addStretch(1);
    return column;
}

} // namespace

StartPage::StartPage(QWidget* parent) : QWidget(parent)
{
    setObjectName(u"startPage"_s);
    QVBoxLayout* column = centredColumn(this);
    column->addStretch(1);
    QLabel* title = headline(tr("Lunette"), this);
    title->setObjectName(u"startHeadline"_s);
    column->addWidget(title);
    auto* hint
        = new QLabel(tr("A site is a folder with <code>lua/main.lua</code> (the state, in Lua) and "
                        "view templates in <code>viewdefs/</code>. Open one, or start a new one; "
                        "you can also drop a folder on this window."),
            this);
    hint->setWordWrap(true);
    column->addWidget(hint);

    auto* buttons = new QHBoxLayout;
    auto* open = new QPushButton(tr("Open Site\u2026"), this);
    open->setObjectName(u"openSiteButton"_s);
    open->setDefault(true);
    auto* create = new QPushButton(tr("New Site\u2026"), this);
    create->setObjectName(u"newSiteButton"_s);
    buttons->addWidget(open);
    buttons->addWidget(create);
    buttons->addStretch(1);
    column->addLayout(buttons);
    connect(open, &QPushButton::clicked, this, &StartPage::openSiteRequested);
    connect(create, &QPushButton::clicked, this, &StartPage::newSiteRequested);

    m_recentTitle = new QLabel(tr("<b>Recent sites</b>"), this);
    column->addWidget(m_recentTitle);
    m_recent = new QListWidget(this);
    m_recent->setObjectName(u"recentSites"_s);
    m_recent->setMinimumHeight(120);
    column->addWidget(m_recent, 2);
    column->addStretch(1);
    connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        emit recentSiteActivated(item->data(Qt::UserRole).toString());
    });
    setRecentSites({});
}

void StartPage::setRecentSites(const QStringList& folders)
{
    m_recent->clear();
    for (const QString& folder : folders) {
        const QFileInfo info(folder);
        auto* item = new QListWidgetItem(
            info.fileName() + u"  \u2014  "_s + QDir::toNativeSeparators(folder), m_recent);
        item->setData(Qt::UserRole, folder);
        if (!info.isDir()) {
            item->setForeground(palette().brush(QPalette::Disabled, QPalette::Text));
            item->setToolTip(tr("This folder no longer exists."));
        }
    }
    m_recentTitle->setVisible(!folders.isEmpty());
    m_recent->setVisible(!folders.isEmpty());
}

ErrorPage::ErrorPage(QWidget* parent) : QWidget(parent)
{
    setObjectName(u"errorPage"_s);
    QVBoxLayout* column = centredColumn(this);
    column->addStretch(1);
    m_headline = headline(QString(), this);
    m_headline->setObjectName(u"errorHeadline"_s);
    column->addWidget(m_headline);
    m_location = new QLabel(this);
    m_location->setObjectName(u"errorLocation"_s);
    m_location->setTextFormat(Qt::RichText);
    connect(m_location, &QLabel::linkActivated, this,
        [this] { emit locationActivated(m_locationText); });
    column->addWidget(m_location);
    m_message = new QPlainTextEdit(this);
    m_message->setObjectName(u"errorMessage"_s);
    m_message->setReadOnly(true);
    m_message->setFont(QFont(u"monospace"_s));
    m_message->setMinimumHeight(140);
    column->addWidget(m_message, 3);

    auto* buttons = new QHBoxLayout;
    auto* retry = new QPushButton(tr("Retry"), this);
    retry->setObjectName(u"retryButton"_s);
    retry->setDefault(true);
    auto* other = new QPushButton(tr("Open Another Site\u2026"), this);
    other->setObjectName(u"openOtherButton"_s);
    buttons->addWidget(retry);
    buttons->addWidget(other);
    buttons->addStretch(1);
    column->addLayout(buttons);
    column->addStretch(1);
    connect(retry, &QPushButton::clicked, this, &ErrorPage::retryRequested);
    connect(other, &QPushButton::clicked, this, &ErrorPage::openOtherRequested);
}

void ErrorPage::showError(
    const QString& headlineText, const QString& message, const QString& location)
{
    m_headline->setText(headlineText);
    m_message->setPlainText(message);
    m_locationText = location;
    m_location->setText(location.isEmpty()
            ? QString()
            : tr("in <a href=\"open\">%1</a>").arg(location.toHtmlEscaped()));
    m_location->setVisible(!location.isEmpty());
}

QString ErrorPage::message() const
{
    return m_message->toPlainText();
}

QString ErrorPage::location() const
{
    return m_locationText;
}
