-- The settings page's form to create a token carries a key of its own (forum/token.go,
-- CreateAccessTokenFromForm): a browser that sends the form again (a reload of the page that showed
-- the new secret) finds the token that key made, and no second token is made. Keys are the
-- member's; NULL for tokens made elsewhere (the API, the console).
ALTER TABLE access_tokens ADD COLUMN form_key text;
CREATE UNIQUE INDEX access_tokens_form_key ON access_tokens (member_id, form_key) WHERE form_key IS NOT NULL;
