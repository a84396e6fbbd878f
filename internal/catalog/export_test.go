package catalog

import "context"

// ExecForTest lets tests try writes the API does not offer.
func (c *Catalog) ExecForTest(ctx context.Context, sql string) error {
	_, err := c.pool.Exec(ctx, sql)
	return err
}
