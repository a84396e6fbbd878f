-- Every change of a tenant's row is announced on the channel
-- migrawave_tenants (catalog.NotifyChannel), with the tenant id as payload,
-- when its transaction commits: the application LISTENs and learns of a
-- freeze or a cutover at once, not at its next poll.
CREATE FUNCTION tenants_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('migrawave_tenants', NEW.tenant_id);
    RETURN NULL;
END $$;

CREATE TRIGGER tenants_notify
    AFTER INSERT OR UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_notify();
