-- rows: 100000
-- Filled in ranges: the runner sets @lo and @hi (1-based, inclusive).
-- Values are derived from the sequence number (CRC32 as a cheap hash), so
-- every generation produces the same rows.
INSERT INTO customers (id, tenant_id, name, email, country, tier, is_active, credit_limit,
                       birthday, notes, preferences, created_at, updated_at)
SELECT s.seq, 'bench',
  CONCAT(ELT(1 + s.seq % 12, 'Anna','Björn','Chloé','Dmitri','Emma','François','Grace','Hiroshi','Inés','José','Kai','Łukasz'),
         ' ', ELT(1 + CRC32(CONCAT('ln', s.seq)) % 10, 'Müller','Smith','García','Rossi','Dubois','Nowak','田中','Silva','O''Brien','Kowalski')),
  CONCAT('customer', s.seq, '@example.com'),
  ELT(1 + CRC32(CONCAT('co', s.seq)) % 8, 'DE','FR','US','GB','ES','IT','PL','JP'),
  ELT(1 + CRC32(CONCAT('ti', s.seq)) % 4, 'free','basic','pro','enterprise'),
  s.seq % 10 <> 0,
  (CRC32(CONCAT('cl', s.seq)) % 10000000) / 100,
  IF(s.seq % 5 = 0, NULL, DATE '1950-01-01' + INTERVAL (CRC32(CONCAT('bd', s.seq)) % 20000) DAY),
  CASE s.seq % 4
    WHEN 0 THEN NULL
    WHEN 1 THEN CONCAT('Prefers e-mail 📧, ships to warehouse ', s.seq % 97, ' 🚚')
    WHEN 2 THEN CONCAT('VIP since ', 2010 + s.seq % 14, ' — "gold" tier ⭐\nsecond line,\ttabbed; back\\slash')
    ELSE REPEAT('lorem ipsum dolor sit amet ', 1 + s.seq % 8)
  END,
  JSON_OBJECT('theme', ELT(1 + s.seq % 3, 'dark','light','auto'),
              'lang', ELT(1 + s.seq % 4, 'en','de','fr','ja'),
              'newsletter', s.seq % 2,
              'score', (s.seq % 1000) / 10,
              'tags', JSON_ARRAY(ELT(1 + s.seq % 3, 'a','b','c'), 'émoji 🎉')),
  TIMESTAMP '2015-01-01 00:00:00' + INTERVAL (CRC32(CONCAT('ca', s.seq)) % 283824000) SECOND,
  FROM_UNIXTIME(1600000000 + CRC32(CONCAT('ua', s.seq)) % 150000000)
FROM seq_1_to_100000 s
WHERE s.seq BETWEEN @lo AND @hi;
