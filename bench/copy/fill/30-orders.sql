-- rows: 400000
INSERT INTO orders (id, tenant_id, customer_id, number, status, order_date, total, currency, is_paid,
                    shipping_address, ordered_at, updated_at)
SELECT s.seq, 'bench',
  1 + CRC32(CONCAT('oc', s.seq)) % 100000,
  CONCAT('ORD-', LPAD(s.seq, 9, '0')),
  ELT(1 + CRC32(CONCAT('os', s.seq)) % 6, 'pending','paid','shipped','delivered','cancelled','refunded'),
  DATE '2016-01-01' + INTERVAL (CRC32(CONCAT('od', s.seq)) % 3650) DAY,
  (CRC32(CONCAT('ot', s.seq)) % 5000000) / 100,
  ELT(1 + s.seq % 3, 'EUR','USD','GBP'),
  s.seq % 3 <> 0,
  IF(s.seq % 8 = 0, NULL,
     CONCAT(1 + s.seq % 200, ' ', ELT(1 + s.seq % 6, 'Hauptstraße','Rue de la Paix','Main St','Calle Mayor','ul. Długa','銀座通り'),
            '\n', LPAD(s.seq % 99999, 5, '0'), ' ', ELT(1 + s.seq % 5, 'Berlin','Paris','Boston','Madrid','Kraków'),
            IF(s.seq % 11 = 0, ' 🏠 ring twice', ''))),
  TIMESTAMP '2016-01-01 00:00:00' + INTERVAL (CRC32(CONCAT('oa', s.seq)) % 315360000) SECOND,
  FROM_UNIXTIME(1600000000 + CRC32(CONCAT('ou', s.seq)) % 150000000)
FROM seq_1_to_400000 s
WHERE s.seq BETWEEN @lo AND @hi;
