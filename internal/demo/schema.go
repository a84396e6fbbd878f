package demo

import "strings"

// tableComment marks the tables this package creates. Seed drops a table of
// one of its names only when it carries this comment, so pointing it at a
// real database by mistake fails instead of dropping someone's invoices.
const tableComment = "migrawave demo data"

// The demo's tables, parents before children: the order to create and fill
// them in. Dropping goes the other way.
const (
	tSettings     = "settings"
	tCompanies    = "companies"
	tContacts     = "contacts"
	tDeals        = "deals"
	tInvoices     = "invoices"
	tInvoiceLines = "invoice_lines"
	tPayments     = "payments"
	tDocuments    = "documents"
	tActivityLog  = "activity_log"
	tInbox        = "inbox"
)

// Tables lists the demo's tables, parents before children.
var Tables = []string{tSettings, tCompanies, tContacts, tDeals, tInvoices, tInvoiceLines, tPayments, tDocuments, tActivityLog, tInbox}

// tenantColumnToken stands for the configured tenant column in the DDL below.
const tenantColumnToken = "{tenant_column}"

// tableOptions close every CREATE TABLE: InnoDB for foreign keys, utf8mb4 so
// emoji and CJK text survive.
const tableOptions = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='" + tableComment + "'"

// ddl is the schema of a typical SaaS CRM/invoicing product that grew over
// a decade in one shared database: auto-increment keys, a tenant column on
// almost everything, legacy zero dates, enums and sets, JSON bolted on later,
// blobs in the database. The odd corners are deliberate; the migration has to
// carry every one of them.
var ddl = map[string]string{
	// Global configuration, the same for every tenant: not copied per tenant.
	tSettings: "CREATE TABLE `settings` (" + `
  name varchar(100) NOT NULL,
  value text NOT NULL,
  value_type enum('string','int','decimal','bool','json') NOT NULL DEFAULT 'string',
  description varchar(255) DEFAULT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (name)
)`,

	tCompanies: "CREATE TABLE `companies` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  name varchar(200) NOT NULL,
  legal_name varchar(255) DEFAULT NULL,
  country char(2) NOT NULL,
  currency char(3) NOT NULL DEFAULT 'EUR',
  vat_id varchar(32) DEFAULT NULL,
  industry enum('software','manufacturing','retail','healthcare','finance','education','logistics','hospitality','other') NOT NULL DEFAULT 'other',
  employee_count int unsigned DEFAULT NULL,
  founded_year year DEFAULT NULL,
  is_customer tinyint(1) NOT NULL DEFAULT 0,
  credit_limit decimal(14,2) NOT NULL DEFAULT 0.00,
  labels set('vip','partner','reseller','churn-risk','enterprise','public-sector') NOT NULL DEFAULT '',
  website varchar(255) DEFAULT NULL,
  metadata json DEFAULT NULL,
  created_at datetime NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_companies_tenant ({tenant_column}, name)
)`,

	// created_at defaults to the zero date: rows imported from an older
	// system never had one.
	tContacts: "CREATE TABLE `contacts` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  company_id bigint unsigned DEFAULT NULL,
  first_name varchar(100) NOT NULL,
  last_name varchar(100) NOT NULL,
  email varchar(255) NOT NULL,
  phone varchar(32) DEFAULT NULL,
  job_title varchar(120) DEFAULT NULL,
  locale varchar(10) NOT NULL DEFAULT 'en_US',
  birthday date DEFAULT NULL,
  newsletter tinyint(1) NOT NULL DEFAULT 0,
  lead_score tinyint unsigned NOT NULL DEFAULT 0,
  notes text DEFAULT NULL,
  last_login_ip varbinary(16) DEFAULT NULL,
  last_seen_at datetime(6) DEFAULT NULL,
  created_at datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_contacts_tenant ({tenant_column}, email),
  KEY ix_contacts_company (company_id),
  CONSTRAINT fk_contacts_company FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE SET NULL
)`,

	tDeals: "CREATE TABLE `deals` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  company_id bigint unsigned NOT NULL,
  contact_id bigint unsigned DEFAULT NULL,
  title varchar(200) NOT NULL,
  stage enum('lead','qualified','proposal','negotiation','won','lost') NOT NULL DEFAULT 'lead',
  amount decimal(14,2) NOT NULL DEFAULT 0.00,
  currency char(3) NOT NULL,
  probability tinyint unsigned NOT NULL DEFAULT 10,
  expected_close date NOT NULL DEFAULT '0000-00-00',
  closed_at datetime DEFAULT NULL,
  created_at datetime(6) NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_deals_tenant ({tenant_column}, stage),
  KEY ix_deals_company (company_id),
  KEY ix_deals_contact (contact_id),
  CONSTRAINT fk_deals_company FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE CASCADE,
  CONSTRAINT fk_deals_contact FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE SET NULL
)`,

	tInvoices: "CREATE TABLE `invoices` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  company_id bigint unsigned NOT NULL,
  deal_id bigint unsigned DEFAULT NULL,
  number varchar(32) NOT NULL,
  status enum('draft','sent','paid','partially_paid','overdue','void') NOT NULL DEFAULT 'draft',
  issue_date date NOT NULL,
  due_date date NOT NULL DEFAULT '0000-00-00',
  fiscal_year year NOT NULL,
  currency char(3) NOT NULL,
  subtotal decimal(14,2) NOT NULL DEFAULT 0.00,
  tax_total decimal(14,2) NOT NULL DEFAULT 0.00,
  total decimal(14,2) NOT NULL DEFAULT 0.00,
  notes text DEFAULT NULL,
  sent_at datetime DEFAULT NULL,
  created_at datetime(6) NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uq_invoices_number ({tenant_column}, number),
  KEY ix_invoices_company (company_id),
  KEY ix_invoices_deal (deal_id),
  CONSTRAINT fk_invoices_company FOREIGN KEY (company_id) REFERENCES companies (id),
  CONSTRAINT fk_invoices_deal FOREIGN KEY (deal_id) REFERENCES deals (id) ON DELETE SET NULL
)`,

	// No tenant column: lines belong to a tenant through their invoice, and
	// the key is composite. time_spent is billed hours, which pass 24h.
	tInvoiceLines: "CREATE TABLE `invoice_lines` (" + `
  invoice_id bigint unsigned NOT NULL,
  position smallint unsigned NOT NULL,
  sku varchar(64) DEFAULT NULL,
  description varchar(500) NOT NULL,
  quantity decimal(10,3) NOT NULL DEFAULT 1.000,
  unit varchar(16) NOT NULL DEFAULT 'pcs',
  unit_price decimal(12,2) NOT NULL,
  discount_pct tinyint unsigned NOT NULL DEFAULT 0,
  tax_rate decimal(5,2) NOT NULL DEFAULT 0.00,
  line_total decimal(14,2) NOT NULL,
  time_spent time DEFAULT NULL,
  PRIMARY KEY (invoice_id, position),
  CONSTRAINT fk_invoice_lines_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE
)`,

	tPayments: "CREATE TABLE `payments` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  invoice_id bigint unsigned NOT NULL,
  amount decimal(14,2) NOT NULL,
  currency char(3) NOT NULL,
  method enum('card','bank_transfer','sepa_debit','paypal','cash','check') NOT NULL,
  reference varchar(64) DEFAULT NULL,
  is_refund tinyint(1) NOT NULL DEFAULT 0,
  received_on date NOT NULL,
  paid_at datetime(6) NOT NULL,
  payer_ip varbinary(16) DEFAULT NULL,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_payments_tenant ({tenant_column}, paid_at),
  KEY ix_payments_invoice (invoice_id),
  CONSTRAINT fk_payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
)`,

	tDocuments: "CREATE TABLE `documents` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  company_id bigint unsigned DEFAULT NULL,
  invoice_id bigint unsigned DEFAULT NULL,
  uploaded_by bigint unsigned DEFAULT NULL,
  filename varchar(255) NOT NULL,
  mime_type varchar(100) NOT NULL,
  size_bytes int unsigned NOT NULL,
  sha256 binary(32) NOT NULL,
  content mediumblob NOT NULL,
  created_at datetime NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_documents_tenant ({tenant_column}),
  KEY ix_documents_company (company_id),
  KEY ix_documents_invoice (invoice_id),
  KEY ix_documents_uploaded_by (uploaded_by),
  CONSTRAINT fk_documents_company FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE CASCADE,
  CONSTRAINT fk_documents_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE SET NULL,
  CONSTRAINT fk_documents_uploaded_by FOREIGN KEY (uploaded_by) REFERENCES contacts (id) ON DELETE SET NULL
)`,

	// entity_type/entity_id point at any table: a polymorphic reference with
	// no foreign key, as audit logs usually are.
	tActivityLog: "CREATE TABLE `activity_log` (" + `
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  {tenant_column} varchar(64) NOT NULL,
  actor_contact_id bigint unsigned DEFAULT NULL,
  entity_type enum('company','contact','deal','invoice','payment','document') NOT NULL,
  entity_id bigint unsigned NOT NULL,
  action varchar(32) NOT NULL,
  details json DEFAULT NULL,
  ip varbinary(16) DEFAULT NULL,
  user_agent varchar(255) DEFAULT NULL,
  occurred_at datetime(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_activity_log_tenant ({tenant_column}, occurred_at),
  KEY ix_activity_log_actor (actor_contact_id),
  CONSTRAINT fk_activity_log_actor FOREIGN KEY (actor_contact_id) REFERENCES contacts (id) ON DELETE SET NULL
)`,

	// The messages the application has processed, by id: its consumers
	// skip a message delivered again (docs/application-contract.md).
	tInbox: "CREATE TABLE `inbox` (" + `
  {tenant_column} varchar(64) NOT NULL,
  message_id varchar(128) NOT NULL,
  processed_at datetime(6) NOT NULL,
  PRIMARY KEY ({tenant_column}, message_id)
)`,
}

// createStatement returns the CREATE TABLE for table with the tenant column
// named as configured. The column name is validated by config.Validate and
// again by Seed, so quoting it is enough.
func createStatement(table, tenantColumn string) string {
	return strings.ReplaceAll(ddl[table], tenantColumnToken, quoteIdent(tenantColumn)) + tableOptions
}

func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
