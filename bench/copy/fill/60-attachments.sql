-- rows: 50000
INSERT INTO attachments (id, tenant_id, order_id, filename, mime_type, size_bytes, content, sha256, created_at)
SELECT s.seq, 'bench',
  1 + CRC32(CONCAT('ao', s.seq)) % 400000,
  CONCAT(ELT(1 + s.seq % 4, 'invoice','receipt','photo','Lieferschein'), '-', s.seq,
         IF(s.seq % 9 = 0, '-📎', ''), ELT(1 + s.seq % 4, '.pdf', '.png', '.jpg', '.txt')),
  ELT(1 + s.seq % 4, 'application/pdf', 'image/png', 'image/jpeg', 'text/plain'),
  64 * (1 + s.seq % 16),
  -- small blobs: 64 to 1,024 bytes
  REPEAT(UNHEX(SHA2(CONCAT('att', s.seq), 512)), 1 + s.seq % 16),
  SHA2(REPEAT(UNHEX(SHA2(CONCAT('att', s.seq), 512)), 1 + s.seq % 16), 256),
  TIMESTAMP '2016-01-01 00:00:00' + INTERVAL (CRC32(CONCAT('ac', s.seq)) % 315360000) SECOND
FROM seq_1_to_50000 s
WHERE s.seq BETWEEN @lo AND @hi;
