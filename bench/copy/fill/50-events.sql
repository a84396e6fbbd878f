-- rows: 500000
INSERT INTO events (id, tenant_id, customer_id, kind, payload, message, occurred_at, received_at)
SELECT s.seq, 'bench',
  IF(s.seq % 20 = 0, NULL, 1 + CRC32(CONCAT('ec', s.seq)) % 100000),
  ELT(1 + CRC32(CONCAT('ek', s.seq)) % 6, 'login','logout','view','click','purchase','error'),
  IF(s.seq % 5 = 0, NULL,
     JSON_OBJECT('path', CONCAT('/app/', ELT(1 + s.seq % 5, 'home','orders','invoices','settings','reports'), '/', s.seq % 1000),
                 'ms', CRC32(CONCAT('em', s.seq)) % 3000,
                 'ua', ELT(1 + s.seq % 3, 'Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)', 'curl/8.5.0'),
                 'ok', s.seq % 13 <> 0)),
  CASE s.seq % 5
    WHEN 0 THEN NULL
    WHEN 1 THEN CONCAT('user signed in from ', ELT(1 + s.seq % 4, 'Berlin','Zürich','東京','São Paulo'), ' ✅')
    WHEN 2 THEN CONCAT('viewed report #', s.seq % 5000)
    WHEN 3 THEN CONCAT('error: timeout after ', s.seq % 30, 's ⚠️ "retrying"')
    ELSE CONCAT('clicked ', REPEAT('button ', 1 + s.seq % 5), '👍')
  END,
  TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (CRC32(CONCAT('eo', s.seq)) % 157680000) SECOND
    + INTERVAL (s.seq % 1000000) MICROSECOND,
  FROM_UNIXTIME(1600000000 + CRC32(CONCAT('er', s.seq)) % 150000000)
FROM seq_1_to_500000 s
WHERE s.seq BETWEEN @lo AND @hi;
