-- rows: 20000
INSERT INTO products (id, tenant_id, sku, name, description, price, stock, is_active, category,
                      attributes, thumbnail, created_at, updated_at)
SELECT s.seq, 'bench',
  CONCAT('SKU-', LPAD(s.seq, 8, '0')),
  CONCAT(ELT(1 + s.seq % 8, 'Widget','Gadget','Gizmo','Doohickey','Sprocket','Flange','Thingamajig','Whatsit'),
         ' ', ELT(1 + CRC32(CONCAT('pn', s.seq)) % 6, 'Pro','Mini','Max','Lite','Plus','Ultra'), ' ', s.seq),
  IF(s.seq % 3 = 0, NULL,
     CONCAT('High quality ', ELT(1 + s.seq % 4, 'steel','oak','carbon','bamboo'), ' product, ',
            REPEAT('built to last. ', 1 + s.seq % 10), IF(s.seq % 7 = 0, ' 🔥 best seller', ''))),
  (100 + CRC32(CONCAT('pp', s.seq)) % 99900) / 100,
  CAST(CRC32(CONCAT('ps', s.seq)) % 5000 AS SIGNED) - 100,
  s.seq % 20 <> 0,
  ELT(1 + s.seq % 5, 'hardware','software','service','subscription','other'),
  JSON_OBJECT('color', ELT(1 + s.seq % 5, 'red','green','blue','black','white'),
              'weight_g', CRC32(CONCAT('pw', s.seq)) % 5000,
              'dims', JSON_ARRAY(1 + s.seq % 50, 1 + s.seq % 30, 1 + s.seq % 20)),
  -- small blobs: 64 to 1,024 bytes of binary noise, one in ten NULL
  IF(s.seq % 10 = 0, NULL, REPEAT(UNHEX(SHA2(CONCAT('thumb', s.seq), 256)), 2 + s.seq % 31)),
  TIMESTAMP '2014-01-01 00:00:00' + INTERVAL (CRC32(CONCAT('pc', s.seq)) % 283824000) SECOND,
  FROM_UNIXTIME(1600000000 + CRC32(CONCAT('pu', s.seq)) % 150000000)
FROM seq_1_to_20000 s
WHERE s.seq BETWEEN @lo AND @hi;
