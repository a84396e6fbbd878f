package source

import "strings"

// QuoteIdent quotes a MariaDB identifier. Names come from the server's own
// catalog or from validated config, and are still quoted: a table called
// `order` or `select` must work, and nothing is ever spliced raw.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
