package bulkcopy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv/tenantfixture"
	"github.com/migrawave/migrawave/internal/values"
	"github.com/migrawave/migrawave/internal/verify"
)

const accountsDDL = `CREATE TABLE accounts (
	id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
	tenant_id varchar(64) NOT NULL,
	KEY (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

const boundariesDDL = `CREATE TABLE boundaries (
	id bigint unsigned NOT NULL AUTO_INCREMENT,
	tenant_id varchar(64) NOT NULL,
	account_id bigint unsigned NOT NULL,
	flag tinyint(1) NOT NULL DEFAULT 0,
	tiny_u tinyint unsigned, small_u smallint unsigned, medium_u mediumint unsigned,
	int_s int, int_u int unsigned, big_s bigint, big_u bigint unsigned,
	dec_max decimal(65,30), money decimal(12,2) NOT NULL DEFAULT '0.00',
	f float, d double,
	b1 bit(1), b10 bit(10),
	y year,
	t time(6),
	dt datetime(6), ts timestamp(3) NULL DEFAULT NULL, dd date NOT NULL DEFAULT '0000-00-00',
	code char(3), name varchar(100) DEFAULT 'it''s', body text, emoji varchar(40),
	nul_text varchar(20),
	status enum('new','paid','void') NOT NULL DEFAULT 'new',
	tags set('vip','beta','churn'),
	meta json,
	blob_data longblob,
	bin16 binary(16),
	created_at timestamp NOT NULL DEFAULT current_timestamp(),
	updated_at datetime(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6),
	day_added date DEFAULT curdate(),
	total decimal(13,2) AS (money * 2) STORED,
	PRIMARY KEY (id),
	KEY (tenant_id),
	UNIQUE KEY uq_code (tenant_id, code),
	KEY prefix_name (name(10)),
	FULLTEXT KEY ft_body (body),
	CONSTRAINT fk_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

const blobSize = 16_000_000

func TestEveryMappedTypeWithBoundaryValues(t *testing.T) {
	f := tenantfixture.New(t, accountsDDL, boundariesDDL)
	f.Cfg.Source.Tables["boundaries"] = config.Table{Columns: map[string]config.Column{"nul_text": {StripNUL: true}}}
	f.Exec(
		`INSERT INTO accounts (id, tenant_id) VALUES (1, 'acme'), (2, 'other')`,
		`INSERT INTO boundaries (id, tenant_id, account_id, flag, tiny_u, small_u, medium_u, int_s, int_u, big_s, big_u,
			dec_max, money, f, d, b1, b10, y, t, dt, ts, dd, code, name, body, emoji, nul_text, status, tags, meta, blob_data, bin16)
		VALUES (1, 'acme', 1, 1, 255, 65535, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
			'99999999999999999999999999999999999.999999999999999999999999999999', 12.30, 1.1, 3.141592653589793, b'1', b'1010101010', 2155,
			'838:59:59', '2020-00-15 10:00:00', '2024-03-10 02:30:00.123', '0000-00-00', 'ab', 'Zoë', 'hello world',
			'🚀🎉 ünïcödé 日本語', CONCAT('a', CHAR(0), 'b'), 'paid', 'churn,vip', '{"b": 1, "a": [1.50, 1e2, "x"]}',
			REPEAT('x', 16000000), UNHEX('00FF00FF00FF00FF00FF00FF00FF00FF'))`,
		`INSERT INTO boundaries (id, tenant_id, account_id, tiny_u, int_s, big_s, dec_max, t, dt, dd, code, status, tags, meta, f, d)
		VALUES (2, 'acme', 1, 0, 2147483647, 9223372036854775807, '-0.000000000000000000000000000001', '-838:59:59', '0000-00-00 00:00:00',
			'2024-02-29', 'cd', 'new', '', '[]', -3.4e38, 1.7976931348623157e308),
		(3, 'acme', 1, NULL, NULL, NULL, NULL, '100:00:00.5', '1000-01-01 00:00:00.000001', '9999-12-31', NULL, 'void', NULL, NULL, NULL, NULL),
		(4, 'other', 2, 7, 7, 7, 7, '01:00:00', '2001-01-01', '2001-01-01', 'zz', 'new', 'beta', '{}', 7, 7)`,
	)
	before := f.SourceChecksum()
	tr := f.Open("acme")
	rep, err := tr.Copier().Run(context.Background(), bulkcopy.Options{ChunkRows: 2})
	if err != nil {
		t.Fatal(err)
	}

	if vr, err := tr.Verifier().Run(context.Background(), verify.Options{ChunkRows: 2}); err != nil || !vr.Match {
		t.Fatalf("verify right after the copy: %v %+v", err, vr)
	}

	// Types: what the application will see in the tenant database.
	wantTypes := map[string]string{
		"id": "bigint", "account_id": "bigint", "flag": "boolean", "tiny_u": "smallint", "small_u": "integer",
		"medium_u": "integer", "int_s": "integer", "int_u": "bigint", "big_s": "bigint", "big_u": "numeric(20,0)",
		"dec_max": "numeric(65,30)", "money": "numeric(12,2)", "f": "real", "d": "double precision", "b1": "boolean",
		"b10": "bit varying(10)", "y": "smallint", "t": "interval", "dt": "timestamp(6) without time zone",
		"ts": "timestamp(3) with time zone", "dd": "date", "code": "character(3)", "name": "character varying(100)",
		"body": "text", "status": "text", "tags": "text[]", "meta": "jsonb", "blob_data": "bytea", "bin16": "bytea",
	}
	for col, want := range wantTypes {
		got := tenantfixture.QueryText(t, tr, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'boundaries'::regclass AND attname = $1`, col)
		if got != want {
			t.Errorf("column %s: type %s, want %s", col, got, want)
		}
	}
	if got := tenantfixture.QueryText(t, tr, `SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'`); got != "tenant_app" {
		t.Errorf("tables owned by %s, want the cluster's application role tenant_app", got)
	}
	if got := tenantfixture.QueryText(t, tr, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()`); got != "tenant_app" {
		t.Errorf("database owned by %s, want tenant_app", got)
	}
	if got := tenantfixture.QueryText(t, tr, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'id'`); got != "bigint" {
		t.Errorf("accounts.id (referenced by boundaries.account_id): type %s, want bigint like the referencing column", got)
	}

	// Values, row 1: the maxima and the awkward ones.
	wantValues := map[string]string{
		"flag::text": "true", "tiny_u::text": "255", "small_u::text": "65535", "medium_u::text": "16777215",
		"int_s::text": "-2147483648", "int_u::text": "4294967295", "big_s::text": "-9223372036854775808",
		"big_u::text": "18446744073709551615", "dec_max::text": "99999999999999999999999999999999999.999999999999999999999999999999",
		"money::text": "12.30", "f::text": "1.1", "d::text": "3.141592653589793", "b1::text": "true", "b10::text": "1010101010",
		"y::text": "2155", "t::text": "838:59:59", "dt::text": "NULL", "ts::text": "2024-03-10 02:30:00.123+00", "dd::text": "NULL",
		"code::text": "ab", "name": "Zoë", "emoji": "🚀🎉 ünïcödé 日本語", "nul_text": "ab", "status": "paid",
		"tags::text": "{vip,churn}", "meta = '{\"a\": [1.50, 100, \"x\"], \"b\": 1}'::jsonb": "true",
		"length(blob_data)::text": "16000000", "encode(bin16, 'hex')": "00ff00ff00ff00ff00ff00ff00ff00ff",
		"total::text": "24.60",
	}
	for expr, want := range wantValues {
		if got := tenantfixture.QueryText(t, tr, "SELECT ("+expr+")::text FROM boundaries WHERE id = 1"); got != want {
			t.Errorf("row 1: %s = %q, want %q", expr, got, want)
		}
	}
	var srcMD5 string
	if err := f.Src.QueryRow("SELECT MD5(blob_data) FROM boundaries WHERE id = 1").Scan(&srcMD5); err != nil {
		t.Fatal(err)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT md5(blob_data) FROM boundaries WHERE id = 1"); got != srcMD5 {
		t.Errorf("16 MB blob: md5 %s, want %s", got, srcMD5)
	}
	for id, want := range map[int]string{2: "-838:59:59", 3: "100:00:00.5"} {
		if got := tenantfixture.QueryText(t, tr, "SELECT t::text FROM boundaries WHERE id = $1", id); got != want {
			t.Errorf("row %d: time %s, want %s", id, got, want)
		}
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT dec_max::text FROM boundaries WHERE id = 2"); got != "-0.000000000000000000000000000001" {
		t.Errorf("row 2: smallest decimal(65,30) = %s", got)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT tags::text FROM boundaries WHERE id = 2"); got != "{}" {
		t.Errorf("row 2: empty set = %s, want {}", got)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT count(*)::text FROM boundaries"); got != "3" {
		t.Errorf("%s rows in the target; want acme's 3, none of other's", got)
	}

	// The report counts every conversion it applied.
	var table bulkcopy.TableReport
	for _, tr := range rep.Tables {
		if tr.Table == "boundaries" {
			table = tr
		}
	}
	if n := table.Conversions["dd"][values.ZeroDateToNull]; n != 1 {
		t.Errorf("report: dd zero dates converted = %d, want 1 (%v)", n, table.Conversions)
	}
	if n := table.Conversions["dt"][values.ZeroDateToNull]; n != 2 {
		t.Errorf("report: dt zero and partly zero dates converted = %d, want 2 (%v)", n, table.Conversions)
	}
	if n := table.Conversions["nul_text"][values.NULStripped]; n != 1 {
		t.Errorf("report: NUL strips = %d, want 1", n)
	}
	notes := strings.Join(table.Notes, "\n")
	for _, want := range []string{"fulltext index ft_body skipped", "prefix of 10 characters on name", "ON UPDATE CURRENT_TIMESTAMP"} {
		if !strings.Contains(notes, want) {
			t.Errorf("report notes lack %q:\n%s", want, notes)
		}
	}

	// Behaviour the application relies on after cutover.
	exec := func(sql string) error { _, err := tr.Target.Exec(context.Background(), sql); return err }
	if err := exec(`INSERT INTO boundaries (tenant_id, account_id, status) VALUES ('acme', 1, 'bogus')`); err == nil {
		t.Error("the enum CHECK let 'bogus' in")
	}
	if got := tenantfixture.QueryText(t, tr, `INSERT INTO boundaries (tenant_id, account_id) VALUES ('acme', 1) RETURNING (id > 3 AND name = 'it''s' AND status = 'new' AND NOT flag AND day_added = CURRENT_DATE)::text`); got != "true" {
		t.Errorf("identity past the copied maximum and translated defaults: %s", got)
	}
	if err := exec(`INSERT INTO boundaries (tenant_id, account_id) VALUES ('acme', 999)`); err == nil {
		t.Error("the foreign key to accounts was not created")
	}
	if got := tenantfixture.QueryText(t, tr, `UPDATE boundaries SET money = 1, updated_at = updated_at WHERE id = 2 RETURNING (total = 2 AND updated_at > now() - interval '1 minute')::text`); got != "true" {
		t.Errorf("generated column and ON UPDATE trigger: %s", got)
	}
	if got := tenantfixture.QueryText(t, tr, `SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'boundaries'`); !strings.Contains(got, "boundaries_prefix_name") || !strings.Contains(got, "boundaries_uq_code") || strings.Contains(got, "ft_body") {
		t.Errorf("indexes: %s", got)
	}

	// The source is untouched, and verification finds nothing to say... on a fresh copy of the data.
	if after := f.SourceChecksum(); after != before {
		t.Errorf("the source changed:\n%s\n%s", before, after)
	}
	if err := exec(`DELETE FROM boundaries WHERE id > 3`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`UPDATE boundaries SET money = 12.30 WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	vr, err := tr.Verifier().Run(context.Background(), verify.Options{ChunkRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range vr.Tables {
		if tt.Table == "boundaries" && tt.DifferentCount != 1 {
			t.Errorf("verify after changing row 2: %+v", tt)
		}
	}
}
