-- The benchmark source: one tenant ('bench') of a typical SaaS schema, in its
-- own MariaDB database (bench_source), so that `migrawave copy --tenant bench`
-- and pgloader (which copies whole databases) move exactly the same rows.
--
-- Type mix: int unsigned / signed bigint / bigint unsigned AUTO_INCREMENT keys,
-- int, smallint unsigned, tinyint(1), decimal(12,2), char, varchar, text with
-- emoji, datetime, datetime(6), timestamp, date, enum, json, blob.
--
-- Keys that other tables reference are `int unsigned` (customers, orders) or
-- signed `bigint` (products); `bigint unsigned` keys are used only where no
-- foreign key points at them (events, attachments). pgloader 3.6 maps an
-- unsigned bigint AUTO_INCREMENT key to bigint(serial) but an unsigned bigint
-- referencing column to numeric, and then cannot create the foreign key
-- ("Key columns ... are of incompatible types: numeric and bigint") — while
-- still exiting 0. Avoiding that shape keeps pgloader's run complete and
-- comparable.
--
-- order_lines has no tenant column: it belongs to the tenant through orders,
-- which exercises migrawave's join path.

SET NAMES utf8mb4;

CREATE TABLE customers (
  id int unsigned NOT NULL AUTO_INCREMENT,
  tenant_id varchar(64) NOT NULL,
  name varchar(200) NOT NULL,
  email varchar(255) NOT NULL,
  country char(2) NOT NULL,
  tier enum('free','basic','pro','enterprise') NOT NULL DEFAULT 'free',
  is_active tinyint(1) NOT NULL DEFAULT 1,
  credit_limit decimal(12,2) NOT NULL DEFAULT 0.00,
  birthday date DEFAULT NULL,
  notes text DEFAULT NULL,
  preferences json DEFAULT NULL,
  created_at datetime NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_customers_tenant_email (tenant_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
  id bigint NOT NULL AUTO_INCREMENT,
  tenant_id varchar(64) NOT NULL,
  sku varchar(32) NOT NULL,
  name varchar(200) NOT NULL,
  description text DEFAULT NULL,
  price decimal(12,2) NOT NULL,
  stock int NOT NULL DEFAULT 0,
  is_active tinyint(1) NOT NULL DEFAULT 1,
  category enum('hardware','software','service','subscription','other') NOT NULL DEFAULT 'other',
  attributes json DEFAULT NULL,
  thumbnail blob DEFAULT NULL,
  created_at datetime NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uq_products_sku (tenant_id, sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE orders (
  id int unsigned NOT NULL AUTO_INCREMENT,
  tenant_id varchar(64) NOT NULL,
  customer_id int unsigned NOT NULL,
  number varchar(32) NOT NULL,
  status enum('pending','paid','shipped','delivered','cancelled','refunded') NOT NULL DEFAULT 'pending',
  order_date date NOT NULL,
  total decimal(12,2) NOT NULL DEFAULT 0.00,
  currency char(3) NOT NULL DEFAULT 'EUR',
  is_paid tinyint(1) NOT NULL DEFAULT 0,
  shipping_address text DEFAULT NULL,
  ordered_at datetime NOT NULL,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uq_orders_number (tenant_id, number),
  KEY ix_orders_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- No tenant column: owned through orders (fk_order_lines_order sorts before
-- fk_order_lines_product, and both are NOT NULL, so migrawave joins via orders).
CREATE TABLE order_lines (
  order_id int unsigned NOT NULL,
  line_no smallint unsigned NOT NULL,
  product_id bigint NOT NULL,
  quantity int NOT NULL,
  unit_price decimal(12,2) NOT NULL,
  discount decimal(5,2) NOT NULL DEFAULT 0.00,
  note varchar(255) DEFAULT NULL,
  PRIMARY KEY (order_id, line_no),
  KEY ix_order_lines_product (product_id),
  CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
  CONSTRAINT fk_order_lines_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE events (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  tenant_id varchar(64) NOT NULL,
  customer_id int unsigned DEFAULT NULL,
  kind enum('login','logout','view','click','purchase','error') NOT NULL,
  payload json DEFAULT NULL,
  message text DEFAULT NULL,
  occurred_at datetime(6) NOT NULL,
  received_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_events_tenant_kind (tenant_id, kind),
  KEY ix_events_customer (customer_id),
  CONSTRAINT fk_events_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE attachments (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  tenant_id varchar(64) NOT NULL,
  order_id int unsigned NOT NULL,
  filename varchar(255) NOT NULL,
  mime_type varchar(100) NOT NULL,
  size_bytes int unsigned NOT NULL,
  content blob NOT NULL,
  sha256 char(64) NOT NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY (id),
  KEY ix_attachments_order (order_id),
  CONSTRAINT fk_attachments_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
