-- The forum's own settings, edited by admins on /admin/settings: one row, read through an
-- in-process cache (forum/site_settings.go). The rules page is Markdown kept with its rendered HTML
-- and that HTML's keyed MAC, like posts and bios.
CREATE TABLE site_settings (
    id                boolean PRIMARY KEY DEFAULT true CHECK (id),
    site_name         text NOT NULL DEFAULT 'Stoa',
    description       text NOT NULL DEFAULT '',
    logo_url          text NOT NULL DEFAULT '',
    custom_css        text NOT NULL DEFAULT '',
    rules_source      text NOT NULL DEFAULT '',
    rules_html        text NOT NULL DEFAULT '',
    rules_html_mac    bytea NOT NULL DEFAULT '',
    registration_open boolean NOT NULL DEFAULT true,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

INSERT INTO site_settings DEFAULT VALUES;
