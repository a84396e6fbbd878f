-- The catalog: where every tenant lives. The application routes by it, so
-- every change of a tenant's location is a compare-and-set on version.

CREATE TABLE clusters (
    name          text PRIMARY KEY,
    max_databases integer NOT NULL DEFAULT 0,  -- 0 = no limit
    max_bytes     bigint  NOT NULL DEFAULT 0,  -- 0 = no limit
    draining      boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
    tenant_id    text PRIMARY KEY,
    hostname     text NOT NULL,
    -- 'source' before cutover, '<cluster>/<database>' after.
    location     text NOT NULL DEFAULT 'source',
    cluster      text REFERENCES clusters (name),
    database     text,
    state        text NOT NULL DEFAULT 'pending',
    -- true tells the application to refuse writes (maintenance mode).
    frozen       boolean NOT NULL DEFAULT false,
    size_bytes   bigint NOT NULL DEFAULT 0,
    row_estimate bigint NOT NULL DEFAULT 0,
    version      bigint NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tenants_cluster ON tenants (cluster);
CREATE INDEX tenants_state ON tenants (state);

-- Append-only history of every location change and freeze.
CREATE TABLE tenant_events (
    id            bigserial PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    at            timestamptz NOT NULL DEFAULT now(),
    from_location text NOT NULL,
    to_location   text NOT NULL,
    workflow_id   text NOT NULL DEFAULT '',
    kind          text NOT NULL
);

CREATE INDEX tenant_events_tenant ON tenant_events (tenant_id, at);

CREATE FUNCTION tenant_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tenant_events is append-only';
END $$;

CREATE TRIGGER tenant_events_append_only
    BEFORE UPDATE OR DELETE ON tenant_events
    FOR EACH ROW EXECUTE FUNCTION tenant_events_append_only();
