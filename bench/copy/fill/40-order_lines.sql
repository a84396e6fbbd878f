-- rows: 1200000
-- Three lines per order: sequence number n is line ((n-1) % 3) + 1 of order ((n-1) DIV 3) + 1.
INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price, discount, note)
SELECT (s.seq - 1) DIV 3 + 1, (s.seq - 1) % 3 + 1,
  1 + CRC32(CONCAT('lp', s.seq)) % 20000,
  1 + s.seq % 9,
  (100 + CRC32(CONCAT('lu', s.seq)) % 99900) / 100,
  IF(s.seq % 4 = 0, (s.seq % 50) / 2, 0),
  IF(s.seq % 6 = 0, CONCAT('gift wrap 🎁 #', s.seq), NULL)
FROM seq_1_to_1200000 s
WHERE s.seq BETWEEN @lo AND @hi;
