-- Sign-in through the council's identity provider (OpenID Connect): each
-- login in progress, kept until its callback (single use, ten minutes).
-- Keep in step with ../sqlite/0004_oidc.sql.
CREATE TABLE oidc_logins (
    state TEXT NOT NULL PRIMARY KEY,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
